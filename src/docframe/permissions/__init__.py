"""Permissions: DocPerm rules, row conditions for lists, field levels."""
