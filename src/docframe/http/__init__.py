"""HTTP edge: request parsing, response envelopes, error rendering, the ASGI pipeline."""
