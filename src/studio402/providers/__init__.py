"""Upstream model adapters and the local model."""
