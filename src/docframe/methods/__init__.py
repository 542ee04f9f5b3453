"""Whitelisted methods: the ``@whitelist`` decorator, the registry of callable names, argument binding."""
