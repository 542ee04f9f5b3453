"""A test app that ships a built single-page app (for tests/web)."""
