"""Facilitators verify and settle x402 payments: over HTTP, or in-process against JSON-RPC."""

from studio402.payments.facilitator.base import Facilitator

__all__ = ["Facilitator"]
