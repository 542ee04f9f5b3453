"""The app's hooks: its single-page app at /todo, and the page a login goes to."""

home_page = "/todo"

single_page_apps = [
    {
        "route": "/todo",
        "index": "public/frontend/index.html",
        "boot": "frappe_ui_todo.boot.get_boot",
    },
]
