"""A docframe app that ships the frappe-react-sdk ToDo front end (built into ``public/frontend``)."""
