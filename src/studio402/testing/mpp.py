"""Pay studio402 over MPP in tests, with pympp's own client (``evm/charge`` credentials)."""

from __future__ import annotations

from datetime import datetime

import httpx
from eth_account import Account
from mpp import Challenge, Credential
from mpp.client.transport import PaymentTransport
from mpp.methods.evm import client as evm
from mpp.methods.evm._eip3009 import authorization_domain, challenge_hash, sign_authorization

from studio402.payments.mpp import legacy_challenge_hash


def mpp_transport(
    private_key: str,
    *,
    token: str,
    chain_id: int,
    inner: httpx.AsyncBaseTransport | None = None,
    eip712_name: str = "USD Coin",
    eip712_version: str = "2",
    decimals: int = 6,
) -> PaymentTransport:
    """An httpx transport that answers MPP 402s by signing EIP-3009 authorizations of ``token``.

    ``inner`` is where requests go (an ``httpx.ASGITransport`` for an in-process app).
    """
    method = evm.charge(
        currency=token,
        account=Account.from_key(private_key),
        chain_id=chain_id,
        decimals=decimals,
        authorization={"name": eip712_name, "version": eip712_version},
    )
    return PaymentTransport([method], inner=inner)


def sign_credential(
    challenge: Challenge,
    private_key: str,
    *,
    eip712_name: str = "USD Coin",
    eip712_version: str = "2",
    legacy_hash: bool = False,
    nonce: str | None = None,
    valid_before: int | None = None,
) -> str:
    """An ``Authorization: Payment`` value paying ``challenge`` as an MPP client would.

    ``legacy_hash`` signs mppx 0.11.0's nonce (``keccak256(id ‖ realm)``) instead of pympp's;
    ``nonce`` and ``valid_before`` override the signed values (to build refusals).
    """
    account = Account.from_key(private_key)
    request = challenge.request
    details = request["methodDetails"]
    derive = legacy_challenge_hash if legacy_hash else challenge_hash
    expires = datetime.fromisoformat(str(challenge.expires).replace("Z", "+00:00"))
    payload: dict[str, str] = {
        "type": "authorization",
        "from": account.address,
        "to": request["recipient"],
        "value": request["amount"],
        "validAfter": "0",
        "validBefore": str(valid_before or int(expires.timestamp())),
        "nonce": nonce or derive(challenge.id, challenge.realm),
    }
    domain = authorization_domain(
        name=eip712_name,
        version=eip712_version,
        chain_id=details["chainId"],
        currency=request["currency"],
    )
    payload["signature"] = sign_authorization(account, domain=domain, payload=payload)
    source = f"did:pkh:eip155:{details['chainId']}:{account.address}"
    return Credential(
        challenge=challenge.to_echo(), payload=payload, source=source
    ).to_authorization()
