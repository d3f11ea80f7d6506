"""Object storage for results: the store, key naming, signed file URLs and retention."""
