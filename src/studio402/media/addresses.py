"""Which network addresses a reference URL may reach.

Only globally routable unicast addresses pass, unless the operator allows a network or a host
name explicitly (``Settings.media.allow_networks`` / ``allow_hosts``). Refused: loopback,
private (RFC 1918, IPv6 ULA ``fc00::/7``), link-local (``169.254/16``, ``fe80::/10``), shared
CGNAT space (``100.64/10``), multicast, reserved and unspecified addresses, the cloud metadata
endpoints (``169.254.169.254``, ``fd00:ec2::254``, ``100.100.100.200``), and IPv6 addresses that
embed a refused IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64, 6to4, Teredo).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from studio402.errors import BlockedAddressError, ConfigError

__all__ = ["AddressPolicy", "IPAddress", "refusal_reason"]

IPAddress = IPv4Address | IPv6Address

_METADATA = frozenset(
    ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_SHARED = ip_network("100.64.0.0/10")
_NAT64 = ip_network("64:ff9b::/96")


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched from, or None for a public unicast address."""
    if address in _METADATA:
        return "a cloud metadata address"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = refusal_reason(embedded)
        return f"an IPv6 address embedding {inner}" if inner else None
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, IPv4Address) and address in _SHARED, "a shared (CGNAT) address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "a non-public address"),
    )
    for refused, reason in checks:
        if refused:
            return reason
    return None


def _embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


class AddressPolicy:
    """Refuses non-public addresses, except the networks and host names the operator allows."""

    def __init__(self, allow_networks: Iterable[str] = (), allow_hosts: Iterable[str] = ()) -> None:
        """``allow_networks`` are CIDRs (``127.0.0.1/32``); ``allow_hosts`` exact host names.

        Raises:
            ConfigError: a network cannot be parsed.
        """
        try:
            self.allow_networks = tuple(ip_network(n, strict=False) for n in allow_networks)
        except ValueError as exc:
            raise ConfigError(f"media.allow_networks: {exc}") from exc
        self.allow_hosts = frozenset(h.lower().rstrip(".") for h in allow_hosts)

    def check(self, host: str, address: IPAddress) -> None:
        """Allow connecting to ``address`` for a URL naming ``host``, or raise.

        Raises:
            BlockedAddressError: the address is refused and not allowed by the operator.
        """
        if host.lower().rstrip(".") in self.allow_hosts:
            return
        plain = _embedded_ipv4(address) or address
        if any(plain in network or address in network for network in self.allow_networks):
            return
        reason = refusal_reason(address)
        if reason is not None:
            raise BlockedAddressError(f"{host} resolves to {address}, {reason}; refused")
