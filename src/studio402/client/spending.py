"""Spending caps, checked before anything is signed.

A :class:`Budget` belongs to one client (one "session"). Each payment first *reserves* its amount:
the per-call cap and what is left of the session cap are checked under a lock, so concurrent
payments (a batch) can never overshoot together. A reservation is committed once the payment
is sent (paid, or outcome unknown: counted as spent) and released only when the server
refuses the payment outright (no money moved).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from studio402.client.errors import SpendingCapError
from studio402.client.money import usd

__all__ = ["DEFAULT_MAX_PER_CALL_ATOMIC", "Budget", "Reservation"]

DEFAULT_MAX_PER_CALL_ATOMIC = 1_000_000
"""$1, as the official x402 SDK's own default per-payment cap."""


@dataclass
class Reservation:
    """Money set aside for one payment until it is committed or released."""

    budget: Budget
    amount_atomic: int
    settled: bool = False

    def commit(self) -> None:
        """The payment was sent: count it as spent."""
        if not self.settled:
            self.settled = True
            self.budget._commit(self.amount_atomic)

    def release(self) -> None:
        """The server refused the payment: give the amount back."""
        if not self.settled:
            self.settled = True
            self.budget._release(self.amount_atomic)


class Budget:
    """Per-call and per-session caps in atomic units (``None``: no cap)."""

    def __init__(
        self,
        max_per_call_atomic: int | None = DEFAULT_MAX_PER_CALL_ATOMIC,
        max_per_session_atomic: int | None = None,
    ) -> None:
        for name, value in (
            ("max_per_call", max_per_call_atomic),
            ("max_per_session", max_per_session_atomic),
        ):
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        self.max_per_call_atomic = max_per_call_atomic
        self.max_per_session_atomic = max_per_session_atomic
        self._spent = 0
        self._reserved = 0
        self._lock = threading.Lock()

    @property
    def spent_atomic(self) -> int:
        """Committed spending of this session."""
        return self._spent

    @property
    def remaining_atomic(self) -> int | None:
        """What the session cap still allows (``None`` without a session cap)."""
        if self.max_per_session_atomic is None:
            return None
        with self._lock:
            return max(0, self.max_per_session_atomic - self._spent - self._reserved)

    def check(self, amount_atomic: int, max_price_atomic: int | None = None) -> None:
        """Raise :class:`SpendingCapError` if ``amount_atomic`` may not be paid right now."""
        self._check_call(amount_atomic, max_price_atomic)
        with self._lock:
            self._check_session(amount_atomic)

    def reserve(self, amount_atomic: int, max_price_atomic: int | None = None) -> Reservation:
        """Check every cap and set ``amount_atomic`` aside; :class:`SpendingCapError` if not."""
        self._check_call(amount_atomic, max_price_atomic)
        with self._lock:
            self._check_session(amount_atomic)
            self._reserved += amount_atomic
        return Reservation(self, amount_atomic)

    def _check_call(self, amount: int, max_price: int | None) -> None:
        for cap, name in ((self.max_per_call_atomic, "the per-call cap"), (max_price, "max_price")):
            if cap is not None and amount > cap:
                raise SpendingCapError(
                    f"price {usd(amount)} USD ({amount} atomic) is above {name} of "
                    f"{usd(cap)} USD; nothing was signed",
                    amount_atomic=amount,
                    cap_atomic=cap,
                    cap=name,
                )

    def _check_session(self, amount: int) -> None:
        cap = self.max_per_session_atomic
        if cap is None:
            return
        left = cap - self._spent - self._reserved
        if amount > left:
            raise SpendingCapError(
                f"price {usd(amount)} USD is above what the session cap allows "
                f"({usd(max(left, 0))} of {usd(cap)} USD left); nothing was signed",
                amount_atomic=amount,
                cap_atomic=cap,
                cap="the per-session cap",
            )

    def _commit(self, amount: int) -> None:
        with self._lock:
            self._reserved -= amount
            self._spent += amount

    def _release(self, amount: int) -> None:
        with self._lock:
            self._reserved -= amount
