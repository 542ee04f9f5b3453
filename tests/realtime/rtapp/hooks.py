"""Hooks of the realtime test app."""

doc_events = {"ToDo": {"on_update": "tests.realtime.rtapp.api.explode_after_insert"}}
