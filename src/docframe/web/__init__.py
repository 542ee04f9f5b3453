"""Web: what a browser asks for outside the API — app assets, single-page apps, built-in pages."""
