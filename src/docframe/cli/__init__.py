"""Command line: ``docframe new-site``, ``serve``, ``migrate``, ``set-admin-password``, ``add-user``."""
