"""The EIP-3009 authorization inside an x402 ``exact`` payload, and its settlement calldata."""

from __future__ import annotations

from dataclasses import dataclass

from x402.mechanisms.evm.erc6492 import parse_erc6492_signature
from x402.schemas import PaymentPayload, PaymentRequirements

from studio402.chain.abi import encode_call, hex_to_bytes

AuthorizationKey = tuple[str, str, str]
"""(token, payer, nonce), lowercase hex: one authorization can settle at most once."""

_AUTH_ARGS = "address,address,uint256,uint256,uint256,bytes32"
_TRANSFER_VRS = f"transferWithAuthorization({_AUTH_ARGS},uint8,bytes32,bytes32)"
_TRANSFER_BYTES = f"transferWithAuthorization({_AUTH_ARGS},bytes)"


@dataclass(frozen=True)
class Authorization:
    """A parsed ``TransferWithAuthorization`` for ``token``, with the signature to submit.

    Addresses keep the letter case they arrived in; compare them lowercased.
    """

    token: str
    payer: str
    pay_to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes
    signature: bytes
    """The signature the token checks (ERC-6492 wrapping removed)."""

    @property
    def key(self) -> AuthorizationKey:
        """Identity of this authorization on chain."""
        return (self.token.lower(), self.payer.lower(), "0x" + self.nonce.hex())


def _address(value: str) -> str:
    raw = hex_to_bytes(value)
    if len(raw) != 20:
        raise ValueError(f"not an address: {value!r}")
    return value


def parse_authorization(
    payload: PaymentPayload, requirements: PaymentRequirements
) -> Authorization:
    """Read the authorization of ``payload`` for the token named by ``requirements.asset``.

    Raises :class:`KeyError`, :class:`TypeError` or :class:`ValueError` when it is malformed.
    """
    body = payload.payload
    auth = body["authorization"]
    nonce = hex_to_bytes(str(auth["nonce"]))
    if len(nonce) != 32:
        raise ValueError(f"nonce must be 32 bytes, got {len(nonce)}")
    signature = parse_erc6492_signature(
        hex_to_bytes(str(body.get("signature") or ""))
    ).inner_signature
    return Authorization(
        token=_address(requirements.asset),
        payer=_address(str(auth["from"])),
        pay_to=_address(str(auth["to"])),
        value=int(auth["value"]),
        valid_after=int(auth["validAfter"]),
        valid_before=int(auth["validBefore"]),
        nonce=nonce,
        signature=bytes(signature),
    )


def transfer_calldata(auth: Authorization) -> bytes:
    """``transferWithAuthorization`` calldata: the (v, r, s) overload for 65-byte signatures,
    the ``bytes signature`` overload (smart wallets) otherwise."""
    common = (auth.payer, auth.pay_to, auth.value, auth.valid_after, auth.valid_before, auth.nonce)
    sig = auth.signature
    if len(sig) == 65:
        v = sig[64] + 27 if sig[64] < 27 else sig[64]
        return encode_call(_TRANSFER_VRS, *common, v, sig[:32], sig[32:64])
    return encode_call(_TRANSFER_BYTES, *common, sig)
