"""docframe.meta (see docs/architecture.md)."""
