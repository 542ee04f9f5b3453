"""A tiny app for scheduler tests: its hooks declare scheduler_events."""
