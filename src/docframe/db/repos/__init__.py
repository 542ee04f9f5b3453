"""Repositories: the statements on framework tables and framework-owned rows, one module per concern.

Code above the data layer (auth, jobs, files, rate limits, the request log, the scheduler, webhooks,
methods, controllers) never builds or runs a SQL statement: it calls these typed functions with the
unit of work's SQLAlchemy ``Connection`` (``ctx.conn``) or a connection of its own, and the tables the
metadata registry built (``site.tables.get(meta)`` for a DocType's table, ``site.tables.framework``
for the framework tables), so every column name is still checked against the metadata.
"""
