"""Integration fixtures: one real anvil dev chain per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio402.testing.chain import RunningDevChain, anvil_unavailable_reason, running_devchain


@pytest.fixture(scope="session")
def devchain() -> Iterator[RunningDevChain]:
    """A fresh anvil chain with our token deployed and the dev wallets funded."""
    reason = anvil_unavailable_reason()
    if reason:
        pytest.skip(f"no local chain: {reason} (run `make test`, which installs anvil)")
    with running_devchain() as chain:
        yield chain
