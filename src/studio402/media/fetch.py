"""Fetch an image URL without letting it reach places it must not (SSRF-safe).

Each hop resolves the host name once, checks every address it resolves to against the
:class:`~studio402.media.addresses.AddressPolicy`, and connects to the checked address itself:
the URL is rewritten to the IP, the ``Host`` header and the TLS server name (SNI, also used for
certificate verification) keep the original name, so there is no second lookup for a rebinding
DNS server to answer differently. Redirects are followed by hand, at most ``max_redirects``
times, each new location checked the same way. The body is streamed and abandoned as soon as it
passes ``max_bytes``; the whole fetch has one deadline. No proxies from the environment are
used (a proxy would resolve names itself).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, Protocol
from urllib.parse import urljoin

import httpx

from studio402.errors import InvalidMediaError, PayloadTooLargeError
from studio402.media.addresses import AddressPolicy, IPAddress

__all__ = ["Fetched", "ImageFetcher", "Resolver", "SystemResolver"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_URL_CHARS = 4096
_HEADERS = {"Accept": "image/*", "Accept-Encoding": "identity", "User-Agent": "studio402"}


class Resolver(Protocol):
    """Turns a host name into addresses (the seam tests use to play a rebinding DNS)."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), off the event loop."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, in the resolver's order, without duplicates.

        Raises:
            InvalidMediaError: the name does not resolve.
        """
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise InvalidMediaError(f"cannot resolve {host}: {exc}") from exc
        found = [ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Fetched:
    """The bytes of a fetched URL and the URL they finally came from."""

    data: bytes
    url: str


@dataclass(frozen=True)
class _Hop:
    pinned: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, Any]


class ImageFetcher:
    """GETs http(s) URLs under an address policy, a byte cap and a deadline."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        max_bytes: int = 10_000_000,
        timeout_s: float = 10.0,
        max_redirects: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport`` replaces the network in tests (it receives the pinned requests)."""
        self.policy = policy
        self.resolver = resolver or SystemResolver()
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_redirects = max_redirects
        self.transport = transport

    async def fetch(self, url: str) -> Fetched:
        """The body of ``url`` (status 200), following checked redirects.

        Raises:
            BlockedAddressError: a hop resolves to a refused address.
            PayloadTooLargeError: the body passes ``max_bytes``.
            InvalidMediaError: anything else (bad URL, DNS failure, HTTP error, timeout).
        """
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._fetch(url)
        except TimeoutError as exc:
            raise InvalidMediaError(f"fetching took longer than {self.timeout_s:g} s") from exc

    async def _fetch(self, url: str) -> Fetched:
        current = url
        for _ in range(self.max_redirects + 1):
            hop = await self._hop(current)
            async with httpx.AsyncClient(
                transport=self.transport,
                trust_env=False,
                follow_redirects=False,
                timeout=self.timeout_s,
            ) as client:
                try:
                    async with client.stream(
                        "GET", hop.pinned, headers=hop.headers, extensions=hop.extensions
                    ) as response:
                        if response.status_code in _REDIRECTS:
                            location = response.headers.get("location")
                            if not location:
                                raise InvalidMediaError("a redirect without a Location")
                            current = urljoin(current, location)
                            continue
                        if response.status_code != 200:
                            raise InvalidMediaError(f"the URL answered HTTP {response.status_code}")
                        return Fetched(await self._read(response), current)
                except httpx.HTTPError as exc:
                    raise InvalidMediaError(f"could not fetch the URL: {exc}") from exc
        raise InvalidMediaError(f"more than {self.max_redirects} redirects")

    async def _hop(self, url: str) -> _Hop:
        if len(url) > _MAX_URL_CHARS:
            raise InvalidMediaError(f"URLs are limited to {_MAX_URL_CHARS} characters")
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise InvalidMediaError(f"not a valid URL: {exc}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidMediaError("only http and https URLs can be fetched")
        if parsed.userinfo:
            raise InvalidMediaError("URLs with credentials are refused")
        host = parsed.host
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses: list[IPAddress] = [ip_address(host)]
            literal = True
        except ValueError:
            addresses = await self.resolver.resolve(host, port)
            literal = False
        if not addresses:
            raise InvalidMediaError(f"{host} does not resolve")
        for address in addresses:
            self.policy.check(host, address)
        pinned = parsed.copy_with(host=str(addresses[0]))
        netloc = parsed.netloc.decode("ascii")
        extensions: dict[str, Any] = {}
        if parsed.scheme == "https" and not literal:
            extensions["sni_hostname"] = host
        return _Hop(pinned, {**_HEADERS, "Host": netloc}, extensions)

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise PayloadTooLargeError(
                f"the URL's body is {declared} bytes; the limit is {self.max_bytes}"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLargeError(f"the URL's body passes {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
