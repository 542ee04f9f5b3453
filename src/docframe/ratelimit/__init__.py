"""Rate limiting: counter stores (memory, Redis) and the site-wide and per-method limiters."""
