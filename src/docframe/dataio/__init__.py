"""docframe.dataio (see docs/architecture.md)."""
