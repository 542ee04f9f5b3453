"""A docframe app that ships the frappe-ui ToDo front end (built into ``public/frontend``)."""
