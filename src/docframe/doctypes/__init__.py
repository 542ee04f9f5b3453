"""Built-in DocTypes: one folder each with the definition (JSON) and, where needed, a controller."""
