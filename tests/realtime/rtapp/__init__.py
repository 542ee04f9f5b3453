"""A tiny app for the realtime tests: whitelisted methods that publish events."""
