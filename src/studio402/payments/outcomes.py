"""Which facilitator failure reasons prove that no money moved."""

from __future__ import annotations

_DEFINITIVE = frozenset(
    {
        "insufficient_funds",
        "transaction_failed",
        "network_mismatch",
        "unsupported_scheme",
        "missing_eip712_domain",
        "asset_not_deployed_contract",
        "eip6492_factory_not_allowed",
    }
)
_NOT_PROOF = frozenset(
    {
        # The authorization was used: perhaps by us, in an attempt whose answer was lost.
        "invalid_exact_evm_nonce_already_used",
        "invalid_exact_evm_failed_to_verify_signature",
        "invalid_exact_evm_transaction_simulation_failed",
    }
)


def is_definitive_refusal(reason: str) -> bool:
    """True when ``reason`` means the authorization was not and will not be executed.

    Anything else (``settlement_pending``, ``unexpected_settle_error``, an RPC failure that the
    facilitator reported as a bad signature, an unknown code) leaves the outcome open, and the
    payment is handed to the reconciler instead of being refused.
    """
    if reason in _NOT_PROOF:
        return False
    return reason in _DEFINITIVE or reason.startswith("invalid_")
