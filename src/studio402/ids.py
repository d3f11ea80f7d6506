"""Opaque identifiers: job ids shaped like StableStudio's (cuid-like), payment ids with a prefix."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def new_job_id() -> str:
    """A 25-character id: ``c``, 8 base-36 digits of milliseconds, 16 random base-36 digits."""
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "c" + _base36(time.time_ns() // 1_000_000, 8) + random_part


def new_payment_id() -> str:
    """A payment reference such as ``pay_3f0c...``."""
    return "pay_" + secrets.token_hex(12)
