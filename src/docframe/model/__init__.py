"""docframe.model (see docs/architecture.md)."""
