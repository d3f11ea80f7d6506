"""Dev-chain keys: four random accounts stored once per data directory in ``dev-keys.json``.

The roles never use anvil's well-known mnemonic accounts, whose keys are public.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

from eth_account import Account

from studio402.errors import ConfigError

__all__ = ["DEV_KEYS_FILE", "DevKeys", "load_dev_keys", "load_or_create_dev_keys"]

DEV_KEYS_FILE = "dev-keys.json"


@dataclass(frozen=True)
class DevKeys:
    """Private keys (``0x`` hex) of the dev-chain roles. ``repr`` shows addresses only."""

    deployer: str
    payer: str
    facilitator: str
    pay_to: str

    def address(self, role: str) -> str:
        """Checksummed address of ``role`` (a field name)."""
        return str(Account.from_key(getattr(self, role)).address)

    def __repr__(self) -> str:
        roles = ", ".join(f"{f.name}={self.address(f.name)}" for f in fields(self))
        return f"DevKeys({roles})"


def _new_key() -> str:
    return "0x" + bytes(Account.create().key).hex()


def load_dev_keys(data_dir: Path) -> DevKeys:
    """Read ``<data_dir>/dev-keys.json``; :class:`ConfigError` if it is missing or unreadable."""
    path = data_dir / DEV_KEYS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = DevKeys(**{f.name: str(data[f.name]) for f in fields(DevKeys)})
        for f in fields(DevKeys):
            keys.address(f.name)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read dev keys from {path}: {type(exc).__name__}") from exc
    return keys


def load_or_create_dev_keys(data_dir: Path) -> DevKeys:
    """Load the data directory's dev keys, creating them (file mode 0600) on first use."""
    path = data_dir / DEV_KEYS_FILE
    if path.exists():
        return load_dev_keys(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = DevKeys(deployer=_new_key(), payer=_new_key(), facilitator=_new_key(), pay_to=_new_key())
    body = json.dumps({f.name: getattr(keys, f.name) for f in fields(keys)}, indent=2) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_dev_keys(data_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    return keys
