"""Transport failures of the vendor SDKs (httpx, httpx2, aiohttp, sockets), translated into
ProviderErrors, and the ImportError that names the ``providers`` extra."""

from __future__ import annotations

import importlib
from types import ModuleType

import httpx

from studio402.errors import ProviderError, ProviderTimeoutError, ProviderUnavailableError

__all__ = ["EXTRA", "TRANSPORT_ERRORS", "missing_extra", "translate_transport"]

EXTRA = "studio402[providers]"
"""The optional dependency group holding the vendor SDKs."""


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _collect() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    errors: list[type[BaseException]] = [httpx.HTTPError, OSError, TimeoutError]
    timeouts: list[type[BaseException]] = [httpx.TimeoutException, TimeoutError]
    httpx2 = _optional("httpx2")
    if httpx2 is not None:
        errors.append(httpx2.HTTPError)
        timeouts.append(httpx2.TimeoutException)
    aiohttp = _optional("aiohttp")
    if aiohttp is not None:
        errors.append(aiohttp.ClientError)
        timeouts.append(aiohttp.ServerTimeoutError)
    return tuple(errors), tuple(timeouts)


TRANSPORT_ERRORS, _TIMEOUTS = _collect()
"""Exception classes an SDK's HTTP layer may raise when the network or the upstream fails."""


def translate_transport(vendor: str, exc: BaseException) -> ProviderError:
    """A timeout becomes :class:`ProviderTimeoutError`, anything else on the wire
    :class:`ProviderUnavailableError` (both retryable)."""
    if isinstance(exc, _TIMEOUTS):
        return ProviderTimeoutError(f"{vendor} did not answer in time ({type(exc).__name__})")
    return ProviderUnavailableError(f"{vendor} could not be reached: {type(exc).__name__}: {exc}")


def missing_extra(module: str, vendor: str) -> ImportError:
    """The ImportError to raise when a vendor SDK is not installed: it names the extra."""
    return ImportError(f"the {vendor} provider needs {module!r}: pip install '{EXTRA}'")
