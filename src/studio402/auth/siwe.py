"""The EIP-4361 (Sign-In with Ethereum) text a SIWX client signs, and EIP-191 signer recovery.

The text is rebuilt from the proof's fields byte for byte as the clients' libraries write it:
JS ``siwe`` 2.3.2 ``prepareMessage()`` (``@x402/extensions`` 2.9.0, hence agentcash 0.14.4) and
Python ``signinwithethereum`` 5 ``prepare_message()`` (x402 2.25.0 ``[extensions]``). Both follow
the EIP-4361 grammar::

    ${domain} wants you to sign in with your Ethereum account:
    ${address}
    <empty line>
    [${statement}
    <empty line>]
    <empty line, only when there is no statement>
    URI: ${uri}
    Version: ${version}
    Chain ID: ${numeric chain id}
    Nonce: ${nonce}
    Issued At: ${issuedAt}
    [Expiration Time: ${expirationTime}]
    [Not Before: ${notBefore}]
    [Request ID: ${requestId}]
    [Resources:
    - ${resource} ...]

They disagree only on empty strings: JS drops an empty ``statement`` or ``requestId`` and Python
keeps the (empty) line, so :func:`siwe_message_variants` yields both texts in that case.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from eth_keys.backends.coincurve import CoinCurveECCBackend
from eth_keys.exceptions import BadSignature
from eth_keys.main import KeyAPI
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

__all__ = [
    "ContractSignatureVerifier",
    "SiwxProof",
    "build_siwe_message",
    "is_evm_address",
    "recover_personal_sign",
    "siwe_message_variants",
]

_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")

ContractSignatureVerifier = Callable[[str, str, bytes], Awaitable[bool]]
"""``async (address, message, signature) -> bool``: an EIP-1271 / EIP-6492 check over RPC."""


@dataclass(frozen=True, slots=True)
class SiwxProof:
    """The decoded ``SIGN-IN-WITH-X`` payload (JSON names in camelCase; times as sent)."""

    domain: str
    address: str
    uri: str
    version: str
    chain_id: str
    """CAIP-2, e.g. ``eip155:8453`` (the message carries only the number)."""
    type: str
    nonce: str
    issued_at: str
    signature: str
    statement: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] | None = None
    signature_scheme: str | None = None


def build_siwe_message(proof: SiwxProof) -> str:
    """The EIP-4361 text for ``proof``, as ``signinwithethereum`` (and, but for empty strings,
    JS ``siwe``) prints it. Raises ``ValueError`` if ``chain_id`` is not ``eip155:<number>``."""
    return _render(proof, js_empty_strings=False)


def siwe_message_variants(proof: SiwxProof) -> list[str]:
    """Every text a conforming client may have signed for ``proof`` (one, or two for empty
    ``statement`` / ``requestId`` strings), most likely first."""
    python_text = _render(proof, js_empty_strings=False)
    js_text = _render(proof, js_empty_strings=True)
    return [python_text] if js_text == python_text else [python_text, js_text]


def _render(proof: SiwxProof, *, js_empty_strings: bool) -> str:
    namespace, _, reference = proof.chain_id.partition(":")
    if namespace != "eip155" or not reference.isdigit():
        raise ValueError(f"not an EVM CAIP-2 chain id: {proof.chain_id!r}")
    head = f"{proof.domain} wants you to sign in with your Ethereum account:\n{proof.address}\n\n"
    if _present(proof.statement, js_empty_strings):
        head += f"{proof.statement}\n"
    lines = [
        f"URI: {proof.uri}",
        f"Version: {proof.version}",
        f"Chain ID: {int(reference)}",
        f"Nonce: {proof.nonce}",
        f"Issued At: {proof.issued_at}",
    ]
    if proof.expiration_time:
        lines.append(f"Expiration Time: {proof.expiration_time}")
    if proof.not_before:
        lines.append(f"Not Before: {proof.not_before}")
    if _present(proof.request_id, js_empty_strings):
        lines.append(f"Request ID: {proof.request_id}")
    if proof.resources is not None:
        lines.append("Resources:")
        lines.extend(f"- {resource}" for resource in proof.resources)
    return head + "\n" + "\n".join(lines)


def _present(value: str | None, js_empty_strings: bool) -> bool:
    return bool(value) if js_empty_strings else value is not None


def is_evm_address(address: str) -> bool:
    """``0x`` and 40 hex digits, EIP-55 checksummed if mixed-case (as both siwe libraries want)."""
    if not _ADDRESS_RE.fullmatch(address):
        return False
    digits = address[2:]
    return digits in (digits.lower(), digits.upper()) or to_checksum_address(address) == address


@functools.cache
def _keys() -> KeyAPI:
    return KeyAPI(CoinCurveECCBackend)


def recover_personal_sign(message: str, signature: bytes) -> str | None:
    """The EIP-55 address whose key EIP-191 ``personal_sign``-ed ``message`` into the 65-byte
    ``r || s || v`` ``signature`` (``v`` in 0/1 or 27/28); ``None`` if nothing can be recovered."""
    if len(signature) != 65:
        return None
    v = signature[64] - 27 if signature[64] >= 27 else signature[64]
    if v not in (0, 1):
        return None
    data = message.encode("utf-8")
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode("ascii") + data)
    try:
        signature_obj = _keys().Signature(signature[:64] + bytes([v]))
        public_key = _keys().ecdsa_recover(digest, signature_obj)
    except (BadSignature, ValidationError, ValueError):
        return None
    return str(public_key.to_checksum_address())
