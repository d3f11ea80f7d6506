"""Payments: quotes, verification and settlement of x402 (and later MPP) payments."""
