"""The app's hooks: its single-page app at /react-todo."""

single_page_apps = [
    {
        "route": "/react-todo",
        "index": "public/frontend/index.html",
        "boot": "react_todo.boot.get_boot",
    },
]
