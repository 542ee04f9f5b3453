"""Files: storage of File contents (local disk by default), uploads, and serving them."""
