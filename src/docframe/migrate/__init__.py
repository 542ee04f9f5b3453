"""Schema and record migration: tables follow the metadata, built-in records follow the files."""
