"""Answer a SIGN-IN-WITH-X challenge: sign the EIP-4361 message with the paying wallet."""

from __future__ import annotations

import base64
import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from studio402.auth.siwe import SiwxProof, build_siwe_message

__all__ = ["HEADER_NAME", "choose_chain", "sign_in_with_x"]

HEADER_NAME = "SIGN-IN-WITH-X"

_SNAKE = {
    "chainId": "chain_id",
    "issuedAt": "issued_at",
    "expirationTime": "expiration_time",
    "notBefore": "not_before",
    "requestId": "request_id",
    "signatureScheme": "signature_scheme",
}


def choose_chain(extension: dict[str, Any], preferred: str | None = None) -> str:
    """The CAIP-2 chain to sign for: ``preferred`` if offered, else the first EVM chain."""
    offered = [
        c.get("chainId")
        for c in extension.get("supportedChains", [])
        if str(c.get("chainId", "")).startswith("eip155:")
    ]
    if preferred and preferred in offered:
        return preferred
    if not offered:
        raise ValueError("the challenge offers no EVM chain to sign in with")
    return str(offered[0])


def sign_in_with_x(
    extension: dict[str, Any], private_key: str, *, chain_id: str | None = None
) -> str:
    """The ``SIGN-IN-WITH-X`` header value (base64 JSON) answering the challenge ``extension``
    (the ``sign-in-with-x`` entry of a 402's ``extensions``)."""
    fields: dict[str, Any] = {
        **extension["info"],
        "chainId": choose_chain(extension, chain_id),
        "type": "eip191",
    }
    fields["address"] = Account.from_key(private_key).address
    values = {_SNAKE.get(name, name): value for name, value in fields.items()}
    if values.get("resources") is not None:
        values["resources"] = tuple(values["resources"])
    message = build_siwe_message(SiwxProof(**values, signature=""))
    signed = Account.sign_message(encode_defunct(text=message), private_key=private_key)
    fields["signature"] = "0x" + bytes(signed.signature).hex()
    return base64.b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode()
