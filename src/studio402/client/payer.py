"""Reading x402 challenges, choosing what to pay, and signing with the official x402 SDK.

Our code decides *whether* to pay (which offer, caps, retries); the official SDK's
``x402Client`` with ``register_exact_evm_client`` does the EIP-3009 signing.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

from eth_account import Account
from pydantic import ValidationError
from x402 import x402Client
from x402.http.utils import decode_payment_response_header, encode_payment_signature_header
from x402.mechanisms.evm.default_assets import find_default_asset
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.schemas import PaymentRequired, PaymentRequirements

from studio402.client.errors import ApiError, NoPayableOfferError
from studio402.client.models import Receipt

__all__ = [
    "AssetPolicy",
    "choose_offer",
    "decode_challenge",
    "decode_receipt",
    "official_x402_client",
    "sign_payment",
]


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


class AssetPolicy:
    """Which tokens this client pays with: the x402 SDK's known USDC deployments, plus the
    (network, asset) pairs allowed explicitly (the dev token of a dev wallet, ``--allow-asset``).

    Amounts and caps are atomic units of a 6-decimal USD token; a server naming a token we do not
    know could otherwise price in units worth far more.
    """

    def __init__(self, allowed: Iterable[tuple[str | None, str]] = (), *, any_asset: bool = False):
        self.allowed = [(network, asset.lower()) for network, asset in allowed]
        self.any_asset = any_asset

    def allows(self, network: str, asset: str) -> bool:
        """True if ``asset`` on ``network`` may be paid."""
        if self.any_asset or find_default_asset(asset, network) is not None:
            return True
        return any(
            (net is None or net == network) and asset.lower() == allowed
            for net, allowed in self.allowed
        )


def decode_challenge(header: str | None) -> PaymentRequired:
    """The ``PAYMENT-REQUIRED`` header as a v2 ``PaymentRequired``; :class:`ApiError` if absent
    or unreadable."""
    if not header:
        raise ApiError("402 without a PAYMENT-REQUIRED header: not an x402 v2 seller", status=402)
    try:
        document: Any = json.loads(base64.b64decode(header))
        if not isinstance(document, dict) or document.get("x402Version") != 2:
            raise ApiError("only x402 v2 challenges are supported", status=402)
        return PaymentRequired.model_validate(document)
    except (binascii.Error, ValueError, ValidationError) as exc:
        raise ApiError("unreadable PAYMENT-REQUIRED header", status=402) from exc


def decode_receipt(header: str | None) -> Receipt | None:
    """The ``PAYMENT-RESPONSE`` header, or ``None`` when absent or unreadable."""
    if not header:
        return None
    try:
        settle = decode_payment_response_header(header)
    except (binascii.Error, ValueError, ValidationError):
        return None
    return Receipt(
        success=settle.success,
        transaction=settle.transaction,
        network=settle.network,
        payer=settle.payer,
        amount_atomic=int(settle.amount) if settle.amount and settle.amount.isdigit() else None,
    )


def choose_offer(
    challenge: PaymentRequired, policy: AssetPolicy, networks: Iterable[str] | None = None
) -> PaymentRequirements:
    """The cheapest ``exact`` EVM offer on an allowed network and asset.

    Raises :class:`NoPayableOfferError` naming what was offered when there is none."""
    wanted = set(networks) if networks is not None else None
    payable = [
        offer
        for offer in challenge.accepts
        if offer.scheme == "exact"
        and offer.network.startswith("eip155:")
        and (wanted is None or offer.network in wanted)
        and offer.amount.isdigit()
        and policy.allows(offer.network, offer.asset)
    ]
    if not payable:
        offered = ", ".join(f"{o.scheme} {o.asset} on {o.network}" for o in challenge.accepts)
        raise NoPayableOfferError(
            f"no offer this wallet may pay (offered: {offered or 'nothing'}); allow the token "
            "with allowed_assets / --allow-asset if you trust it"
        )
    return min(payable, key=lambda offer: int(offer.amount))


async def sign_payment(
    private_key: str, challenge: PaymentRequired, offer: PaymentRequirements
) -> str:
    """The ``PAYMENT-SIGNATURE`` header for exactly ``offer``, signed by the official x402 SDK.

    The SDK client is built for this one payment: it may only pay this asset on this network,
    and no more than this offer's amount.
    """
    client = official_x402_client(private_key, offer.network, offer.asset, int(offer.amount))
    only = challenge.model_copy(update={"accepts": [offer]})
    payload = await client.create_payment_payload(only)
    return encode_payment_signature_header(payload)
