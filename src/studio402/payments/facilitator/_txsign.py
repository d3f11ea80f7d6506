"""Fast transaction signing with coincurve (about 5x faster than eth_account's, same bytes).

Signing happens inside the facilitator's send lock, so its cost bounds settlement throughput.
"""

from __future__ import annotations

from dataclasses import dataclass

import coincurve
from eth_utils.crypto import keccak

RlpItem = int | bytes | list["RlpItem"]


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_encode(item: RlpItem) -> bytes:
    """Recursive-length-prefix encoding of ints (big-endian, minimal), bytes and lists."""
    if isinstance(item, list):
        payload = b"".join(rlp_encode(element) for element in item)
        return _length_prefix(len(payload), 0xC0) + payload
    if isinstance(item, int):
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _length_prefix(len(item), 0x80) + item


@dataclass(frozen=True)
class UnsignedTx:
    """A contract call from the gas wallet. ``max_priority_fee`` ``None`` means legacy."""

    chain_id: int
    nonce: int
    gas: int
    to: bytes
    data: bytes
    max_fee: int
    max_priority_fee: int | None
    value: int = 0


class TxSigner:
    """Signs :class:`UnsignedTx` as EIP-1559 (type 2) or legacy EIP-155 raw transactions."""

    def __init__(self, private_key: bytes) -> None:
        self._key = coincurve.PrivateKey(private_key)

    def _sign(self, digest: bytes) -> tuple[int, int, int]:
        signature = self._key.sign_recoverable(digest, hasher=None)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        return signature[64], r, s

    def sign(self, tx: UnsignedTx) -> tuple[bytes, bytes]:
        """Return (raw transaction, transaction hash)."""
        if tx.max_priority_fee is None:
            fields: list[RlpItem] = [tx.nonce, tx.max_fee, tx.gas, tx.to, tx.value, tx.data]
            recovery_id, r, s = self._sign(keccak(rlp_encode([*fields, tx.chain_id, 0, 0])))
            raw = rlp_encode([*fields, recovery_id + 35 + 2 * tx.chain_id, r, s])
        else:
            fields = [tx.chain_id, tx.nonce, tx.max_priority_fee, tx.max_fee, tx.gas, tx.to]
            fields += [tx.value, tx.data, []]
            recovery_id, r, s = self._sign(keccak(b"\x02" + rlp_encode(fields)))
            raw = b"\x02" + rlp_encode([*fields, recovery_id, r, s])
        return raw, keccak(raw)
