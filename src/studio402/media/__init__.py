"""Untrusted media: SSRF-safe fetching, image inspection, reference images and uploads."""
