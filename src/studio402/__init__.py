"""studio402: pay-per-generation image and video API over x402."""

__version__ = "0.1.0"
