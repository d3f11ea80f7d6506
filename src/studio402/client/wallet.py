"""The paying wallet: a key from an environment variable, an eth-account keystore file, or the
dev wallet of a local data directory.

Wallet specs (``--wallet`` / ``STUDIO402_WALLET``)::

    env:NAME          the hex private key in environment variable NAME
    keystore:PATH     an encrypted eth-account JSON keystore (password: STUDIO402_KEYSTORE_PASSWORD
                      or the ``password`` argument); a plain PATH ending in .json works too
    dev[:DATA_DIR]    the dev payer of a local data directory (default .studio402), whose
                      chain/dev-keys.json ``studio402 serve`` writes; a plain directory works too

Without a spec: ``STUDIO402_PRIVATE_KEY`` if set, else the dev wallet of ``.studio402``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from studio402.chain.devchain import DevChainInfo, load_devchain_info
from studio402.chain.devkeys import DEV_KEYS_FILE, DevKeys, load_dev_keys
from studio402.client.errors import WalletError
from studio402.errors import ConfigError

__all__ = [
    "DEFAULT_DATA_DIR",
    "KEY_ENV",
    "PASSWORD_ENV",
    "Wallet",
    "dev_chain_dir_of",
    "load_wallet",
]

KEY_ENV = "STUDIO402_PRIVATE_KEY"
PASSWORD_ENV = "STUDIO402_KEYSTORE_PASSWORD"  # noqa: S105 - a variable name, not a secret
DEFAULT_DATA_DIR = Path(".studio402")


@dataclass(frozen=True)
class Wallet:
    """A signing key and where it came from. ``repr`` never shows the key."""

    account: LocalAccount
    source: str
    chain_dir: Path | None = None

    @property
    def address(self) -> str:
        """The EIP-55 address."""
        return str(self.account.address)

    @property
    def private_key(self) -> str:
        """The ``0x`` hex private key (for the signers that need it)."""
        return "0x" + bytes(self.account.key).hex()

    @property
    def is_dev(self) -> bool:
        """True for the dev payer of a local data directory."""
        return self.chain_dir is not None

    def dev_keys(self) -> DevKeys:
        """The dev-chain keys next to this dev wallet; :class:`WalletError` otherwise."""
        if self.chain_dir is None:
            raise WalletError("not a dev wallet: use --wallet dev[:DATA_DIR]")
        return load_dev_keys(self.chain_dir)

    def dev_chain(self) -> DevChainInfo | None:
        """The dev chain's public facts (``devchain.json``), if this is a dev wallet whose chain
        has run at least once."""
        if self.chain_dir is None:
            return None
        try:
            return load_devchain_info(self.chain_dir)
        except ConfigError:
            return None

    def __repr__(self) -> str:
        return f"Wallet(address={self.address}, source={self.source!r})"

    @classmethod
    def from_key(cls, private_key: str, source: str = "key") -> Wallet:
        """A wallet from a hex private key; :class:`WalletError` if it is not one."""
        try:
            account = Account.from_key(private_key.strip())
        except (ValueError, TypeError) as exc:
            raise WalletError(f"{source}: not a hex private key") from exc
        return cls(account, source)


def dev_chain_dir_of(path: Path) -> Path | None:
    """The directory holding ``dev-keys.json`` for a data dir (``<dir>/chain``) or a chain dir."""
    for candidate in (path / "chain", path):
        if (candidate / DEV_KEYS_FILE).is_file():
            return candidate
    return None


def load_wallet(
    spec: str | None = None,
    *,
    password: str | None = None,
    environ: Mapping[str, str] | None = None,
    default_data_dir: Path = DEFAULT_DATA_DIR,
) -> Wallet:
    """The wallet a spec names (see the module docstring); :class:`WalletError` with a fix."""
    env = os.environ if environ is None else environ
    spec = (spec or "").strip()
    if not spec:
        if env.get(KEY_ENV):
            return Wallet.from_key(env[KEY_ENV], f"env:{KEY_ENV}")
        if dev_chain_dir_of(default_data_dir) is not None:
            return _dev_wallet(default_data_dir)
        raise WalletError(
            f"no wallet: set {KEY_ENV}, or pass --wallet env:NAME, keystore:PATH or "
            "dev:DATA_DIR (the dev wallet of a data directory `studio402 serve` created)"
        )
    kind, _, rest = spec.partition(":")
    if kind == "env" and rest:
        if not env.get(rest):
            raise WalletError(f"environment variable {rest} is not set")
        return Wallet.from_key(env[rest], f"env:{rest}")
    if kind == "keystore" and rest:
        return _keystore_wallet(Path(rest).expanduser(), password, env)
    if kind == "dev":
        return _dev_wallet(Path(rest).expanduser() if rest else default_data_dir)
    path = Path(spec).expanduser()
    if path.is_dir():
        return _dev_wallet(path)
    if path.is_file() and path.suffix == ".json":
        return _keystore_wallet(path, password, env)
    if spec.startswith("0x"):
        raise WalletError(
            "refusing a key on the command line (it would land in shell history); "
            f"put it in an environment variable and pass --wallet env:NAME (or set {KEY_ENV})"
        )
    raise WalletError(f"unknown wallet {spec!r}: use env:NAME, keystore:PATH or dev[:DATA_DIR]")


def _dev_wallet(data_dir: Path) -> Wallet:
    chain_dir = dev_chain_dir_of(data_dir)
    if chain_dir is None:
        raise WalletError(
            f"no dev wallet in {data_dir}: run `studio402 serve --data-dir {data_dir}` once"
        )
    try:
        keys = load_dev_keys(chain_dir)
    except ConfigError as exc:
        raise WalletError(exc.message) from exc
    return Wallet(Account.from_key(keys.payer), f"dev:{data_dir}", chain_dir)


def _keystore_wallet(path: Path, password: str | None, env: Mapping[str, str]) -> Wallet:
    password = password if password is not None else env.get(PASSWORD_ENV)
    if password is None:
        raise WalletError(f"keystore {path} needs a password: set {PASSWORD_ENV}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WalletError(f"cannot read keystore {path}: {type(exc).__name__}") from exc
    try:
        key = Account.decrypt(document, password)
    except (ValueError, KeyError, TypeError) as exc:
        raise WalletError(
            f"cannot decrypt keystore {path}: wrong password or not a keystore"
        ) from exc
    return Wallet(Account.from_key(key), f"keystore:{path}")
