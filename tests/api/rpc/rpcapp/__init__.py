"""A tiny installed app for the RPC tests: whitelisted functions, a hooks module, one DocType."""
