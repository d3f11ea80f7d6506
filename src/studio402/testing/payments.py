"""Sign x402 payments in tests exactly as the official SDK client does."""

from __future__ import annotations

from eth_account import Account
from x402 import x402ClientSync
from x402.http.utils import encode_payment_signature_header
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.schemas import PaymentRequired, PaymentRequirements, ResourceInfo


def sign_payment(
    private_key: str, requirements: PaymentRequirements, resource: str = "http://127.0.0.1/api"
) -> str:
    """A ``PAYMENT-SIGNATURE`` header value paying ``requirements`` from ``private_key``."""
    client = x402ClientSync()
    register_exact_evm_client(client, Account.from_key(private_key), networks=requirements.network)
    client.set_spend_controls({"allowed_assets": True})
    required = PaymentRequired(
        x402_version=2, resource=ResourceInfo(url=resource), accepts=[requirements]
    )
    return encode_payment_signature_header(client.create_payment_payload(required))
