"""Query engine: Frappe's list arguments -> SQLAlchemy statements, identifiers checked against meta."""
