"""Identity: users, passwords, sessions and the authentication backends."""
