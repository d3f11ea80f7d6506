"""Lifecycle of a local anvil node: find the binary, spawn it, wait for RPC, stop and reap it.

The binary comes from the npm package ``@foundry-rs/anvil`` installed under ``.devchain/``::

    npm install --prefix .devchain --no-save --ignore-scripts @foundry-rs/anvil@1.7.1

We always spawn the platform ELF directly: killing the node wrapper would orphan anvil.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from studio402.errors import ChainError, ConfigError

from .rpc import JsonRpc

__all__ = [
    "ANVIL_BIN_ENV",
    "Anvil",
    "anvil_binary_from_environ",
    "find_anvil_binary",
    "free_port",
]

ANVIL_BIN_ENV = "STUDIO402_ANVIL_BIN"
_INSTALL_HINT = (
    "npm install --prefix .devchain --no-save --no-audit --no-fund --ignore-scripts "
    "@foundry-rs/anvil@1.7.1"
)
_START_ATTEMPTS = 3
_BIND_CONFIRM_S = 0.02


def anvil_binary_from_environ() -> Path | None:
    """The anvil path named by ``$STUDIO402_ANVIL_BIN``, if set. The one environment read here."""
    value = os.environ.get(ANVIL_BIN_ENV, "").strip()
    return Path(value) if value else None


def _platform_package() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    if arch is None or system is None:
        raise ConfigError(f"no anvil npm package for {sys.platform}/{machine}")
    return f"anvil-{system}-{arch}"


def _candidates(start: Path) -> list[Path]:
    relative = Path(".devchain", "node_modules", "@foundry-rs", _platform_package(), "bin", "anvil")
    return [directory / relative for directory in (start, *start.parents)]


def find_anvil_binary(
    explicit: str | Path | None = None, *, search_from: Sequence[Path] | None = None
) -> Path:
    """Locate the anvil executable.

    ``explicit`` wins when given (a path from settings or :func:`anvil_binary_from_environ`);
    otherwise ``.devchain/node_modules/@foundry-rs/anvil-<os>-<arch>/bin/anvil`` is searched in
    each directory of ``search_from`` (default: the working directory and this package's
    location) and all their parents. Raises :class:`ConfigError` when nothing executable is found.
    """
    if explicit is not None:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ConfigError(f"anvil binary {path} does not exist or is not executable")
    roots = search_from if search_from is not None else (Path.cwd(), Path(__file__).parent)
    for root in roots:
        for candidate in _candidates(root.resolve()):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    raise ConfigError(f"anvil binary not found; install it with: {_INSTALL_HINT}")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the caller must still expect a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _reap(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


class Anvil:
    """One anvil child process. Use as a context manager, or call :meth:`start` / :meth:`stop`.

    ``state_path`` makes anvil load that file at start and dump it every ``state_interval_s``
    seconds and at a clean stop, so a SIGKILL loses at most the last interval.
    """

    def __init__(
        self,
        binary: Path,
        *,
        chain_id: int = 31337,
        port: int | None = None,
        host: str = "127.0.0.1",
        state_path: Path | None = None,
        state_interval_s: int = 1,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.binary = binary
        self.chain_id = chain_id
        self.host = host
        self.state_path = state_path
        self.state_interval_s = state_interval_s
        self.extra_args = tuple(extra_args)
        self._requested_port = port
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._finalizer: weakref.finalize[..., Anvil] | None = None

    @property
    def rpc_url(self) -> str:
        """``http://host:port`` of the running node."""
        if self.port is None:
            raise ChainError("anvil is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id while running."""
        return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def _command(self, port: int) -> list[str]:
        command = [str(self.binary), "--host", self.host, "--port", str(port)]
        command += ["--chain-id", str(self.chain_id), "--silent"]
        if self.state_path is not None:
            command += ["--state", str(self.state_path)]
            command += ["--state-interval", str(self.state_interval_s)]
        return [*command, *self.extra_args]

    def start(self, timeout_s: float = 10.0) -> Self:
        """Spawn anvil and block until ``eth_chainId`` answers with our chain id.

        Retries on another free port if the chosen one was taken. Raises :class:`ChainError`
        when anvil exits or does not answer within ``timeout_s``.
        """
        if self._process is not None:
            raise ChainError("anvil is already started")
        last_error = ""
        for _ in range(_START_ATTEMPTS):
            port = self._requested_port or free_port(self.host)
            error = self._wait_ready(self._spawn(port), timeout_s)
            if error is None:
                return self
            last_error = error
            self.stop()
            if self._requested_port is not None or "in use" not in error.lower():
                break
        raise ChainError(f"anvil did not start: {last_error}")

    def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        process = self._process = subprocess.Popen(  # noqa: S603 - our own binary and args
            self._command(port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        self.port = port
        self._finalizer = weakref.finalize(self, _reap, process, 2.0)
        return process

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode("utf-8", "replace").strip()

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout_s: float) -> str | None:
        deadline = time.monotonic() + timeout_s
        with JsonRpc(self.rpc_url, timeout_s=1.0) as rpc:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    return f"exited with code {process.returncode}: {self._stderr_tail()}"
                try:
                    chain_id = int(rpc.call("eth_chainId"), 16)
                except ChainError:
                    time.sleep(0.005)
                    continue
                if chain_id != self.chain_id:
                    return f"answers chain id {chain_id}, expected {self.chain_id}"
                time.sleep(_BIND_CONFIRM_S)
                if process.poll() is not None:  # another node answered on a port we lost
                    return f"exited with code {process.returncode}: {self._stderr_tail()}"
                return None
        return f"no answer on {self.rpc_url} within {timeout_s:.1f}s"

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; always reaps the process."""
        process, self._process = self._process, None
        if process is not None:
            _reap(process, timeout_s)
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Self:
        return self.start() if self._process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
