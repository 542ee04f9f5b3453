document.getElementById("app").textContent = "built";
