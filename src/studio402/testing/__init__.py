"""Fakes and fixtures shipped with studio402 for its own tests and for operators' tests."""
