"""A tiny installed app for the event-loop test: a whitelisted method that holds its unit of work."""
