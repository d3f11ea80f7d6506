"""Storage fixtures: a local-directory object store in tmp and a URL signer."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio402.storage.store import ObjectStore
from studio402.storage.urls import UrlSigner

SECRET = b"s" * 32


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """The directory behind ``store``."""
    return tmp_path / "objects"


@pytest.fixture
def store(store_dir: Path) -> ObjectStore:
    """An object store over a fresh local directory."""
    return ObjectStore.from_url(store_dir.as_uri())


@pytest.fixture
def signer() -> UrlSigner:
    """A URL signer with a fixed test secret."""
    return UrlSigner(SECRET)
