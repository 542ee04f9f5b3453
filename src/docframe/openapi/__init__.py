"""OpenAPI: the API described for each caller, the docs page, and Frappe's discovery documents."""
