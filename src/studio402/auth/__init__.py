"""Wallet authentication: SIGN-IN-WITH-X proofs, single-use nonces and bearer session tokens."""
