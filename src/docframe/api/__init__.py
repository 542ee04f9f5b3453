"""API surfaces: v1 (``/api``, ``/api/v1``) and v2 (``/api/v2``) endpoints and their route table."""
