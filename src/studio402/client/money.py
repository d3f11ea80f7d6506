"""USD text for people, atomic integers for code (USDC has 6 decimals: 134000 = $0.134)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["USDC_DECIMALS", "parse_usd", "usd"]

USDC_DECIMALS = 6


def usd(amount_atomic: int, decimals: int = USDC_DECIMALS) -> str:
    """``134000`` -> ``"0.134"``; exact, no float."""
    return f"{Decimal(amount_atomic).scaleb(-decimals).normalize():f}"


def parse_usd(text: str, decimals: int = USDC_DECIMALS) -> int:
    """``"0.25"``, ``"$0.25"`` or ``"1"`` (dollars) -> atomic units; :class:`ValueError` if not
    a non-negative amount with at most ``decimals`` decimal places."""
    cleaned = text.strip().removeprefix("$").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount in USD: {text!r} (e.g. 0.25)") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"not an amount in USD: {text!r} (e.g. 0.25)")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more than {decimals} decimal places")
    return int(scaled)
