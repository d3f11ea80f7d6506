"""An official x402 SDK client configured to pay one token, with a spending cap."""

from __future__ import annotations

from eth_account import Account
from x402 import x402Client
from x402.mechanisms.evm.exact import register_exact_evm_client


def official_x402_client(
    private_key: str, network: str, asset: str, max_amount_atomic: int
) -> x402Client:
    """An ``x402Client`` that signs EIP-3009 ``exact`` payments of at most ``max_amount_atomic``.

    The SDK only pays known default assets unless told otherwise, so the token is allow-listed
    explicitly (see research/devchain.md §4, pitfall 1).
    """
    client = x402Client()
    register_exact_evm_client(client, Account.from_key(private_key), networks=network)
    client.set_spend_controls(
        {
            "allowed_assets": [
                {
                    "network": network,
                    "asset": asset,
                    "max_amount_per_payment": str(max_amount_atomic),
                }
            ]
        }
    )
    return client
