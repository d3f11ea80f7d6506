"""The payments ledger: one row per EIP-3009 authorization, claimed before anything else happens.

Statuses move only forward::

    verifying ──▶ settling ──▶ settled (what it bought, a job or an upload slot, is created
        │             │                  in the same transaction: see ``fulfilment``)
        │             │
        ▼             ▼
      failed    payment_pending ──▶ settled | failed   (the reconciler decides from the chain)

A ``failed`` row may be claimed again by the same signed payload (for example once the payer has
funded the wallet): money never moved for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from studio402.db.tables import payments
from studio402.payments import fulfilment
from studio402.payments.fulfilment import job_id_for


class PaymentStatus(StrEnum):
    """Where a payment stands."""

    VERIFYING = "verifying"
    SETTLING = "settling"
    SETTLED = "settled"
    PENDING = "payment_pending"
    FAILED = "failed"


IN_FLIGHT = (PaymentStatus.VERIFYING, PaymentStatus.SETTLING)
UNRESOLVED = (PaymentStatus.VERIFYING, PaymentStatus.SETTLING, PaymentStatus.PENDING)


@dataclass(frozen=True)
class PaymentRecord:
    """A row of the ledger."""

    id: str
    protocol: str
    network: str
    asset: str
    payer: str
    pay_to: str
    amount_atomic: int
    nonce: str
    valid_before: int
    status: PaymentStatus
    tx_hash: str | None
    error_reason: str | None
    error_message: str | None
    idempotency_key: str | None
    payload_sha256: str
    payload_json: str
    requirements_json: str
    settle_json: str | None
    route: str
    model: str
    operation: str
    input_json: str
    created_at: datetime
    updated_at: datetime
    kind: str = "job"

    @classmethod
    def from_row(cls, row: Row[Any]) -> PaymentRecord:
        """Build from a ``payments`` row."""
        values = dict(row._mapping)
        values["status"] = PaymentStatus(values["status"])
        return cls(**values)


async def claim(engine: AsyncEngine, values: dict[str, Any]) -> tuple[PaymentRecord, bool]:
    """Insert the record in ``verifying`` unless its authorization (or idempotency key) exists.

    Returns the record and whether this call owns it. Concurrent callers with the same
    authorization get ``False`` and the winner's record.
    """
    values = {**values, "status": PaymentStatus.VERIFYING}
    async with engine.begin() as conn:
        statement = _insert_ignoring_conflicts(conn, values)
        inserted = (await conn.execute(statement)).rowcount == 1
        if inserted:
            return await _get(conn, values["id"]), True
        existing = await _find_existing(conn, values)
        if (
            existing.status is PaymentStatus.FAILED
            and existing.payload_sha256 == values["payload_sha256"]
        ):
            reclaimed = await conn.execute(
                update(payments)
                .where(and_(payments.c.id == existing.id, payments.c.status == "failed"))
                .values(
                    status=PaymentStatus.VERIFYING,
                    error_reason=None,
                    error_message=None,
                    input_json=values["input_json"],
                    requirements_json=values["requirements_json"],
                    route=values["route"],
                    model=values["model"],
                    operation=values["operation"],
                    kind=values.get("kind", "job"),
                    updated_at=values["updated_at"],
                )
            )
            if reclaimed.rowcount == 1:
                return await _get(conn, existing.id), True
        return existing, False


async def transition(
    engine: AsyncEngine,
    payment_id: str,
    from_statuses: tuple[PaymentStatus, ...],
    to_status: PaymentStatus,
    now: datetime,
    **fields: Any,
) -> bool:
    """Move a record to ``to_status`` if it is in one of ``from_statuses``; report success."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(payments)
            .where(and_(payments.c.id == payment_id, payments.c.status.in_(from_statuses)))
            .values(status=to_status, updated_at=now, **fields)
        )
    return result.rowcount == 1


async def settle_and_fulfil(
    engine: AsyncEngine,
    record: PaymentRecord,
    tx_hash: str,
    settle_json: str,
    now: datetime,
) -> str:
    """Mark the payment settled and create what it bought (its ``kind``: a job or an upload
    slot), atomically; return the new object's id.

    If another process already settled it, nothing is written and the existing id is returned.
    """
    async with engine.begin() as conn:
        result = await conn.execute(
            update(payments)
            .where(and_(payments.c.id == record.id, payments.c.status.in_(UNRESOLVED)))
            .values(
                status=PaymentStatus.SETTLED,
                tx_hash=tx_hash,
                settle_json=settle_json,
                error_reason=None,
                error_message=None,
                updated_at=now,
            )
        )
        if result.rowcount == 0:
            existing = await fulfilment.fulfilment_id(conn, record)
            if existing is None:
                raise RuntimeError(
                    f"payment {record.id} is not settleable and has no {record.kind}"
                )
            return existing
        return await fulfilment.fulfil(conn, record, now)


settle_with_job = settle_and_fulfil
"""The name this function had when every payment bought a job."""


async def get(engine: AsyncEngine, payment_id: str) -> PaymentRecord:
    """Load one record."""
    async with engine.connect() as conn:
        return await _get(conn, payment_id)


async def find_fulfilment_id(engine: AsyncEngine, record: PaymentRecord) -> str | None:
    """The id of what a settled payment bought (its job or upload slot), if any."""
    async with engine.connect() as conn:
        return await fulfilment.fulfilment_id(conn, record)


async def find_job_id(engine: AsyncEngine, payment_id: str) -> str | None:
    """:func:`job_id_for` on its own connection."""
    async with engine.connect() as conn:
        return await job_id_for(conn, payment_id)


async def unresolved_before(
    engine: AsyncEngine, cutoff: datetime, limit: int = 100
) -> list[PaymentRecord]:
    """Records still unresolved whose last change is older than ``cutoff`` (or any pending one)."""
    stale_in_flight = and_(payments.c.status.in_(IN_FLIGHT), payments.c.updated_at < cutoff)
    pending = payments.c.status == PaymentStatus.PENDING
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(payments)
            .where(stale_in_flight | pending)
            .order_by(payments.c.updated_at)
            .limit(limit)
        )
        return [PaymentRecord.from_row(row) for row in rows]


async def touch(engine: AsyncEngine, record: PaymentRecord, now: datetime) -> bool:
    """Take a record for reconciliation: succeeds for one caller only (optimistic lock)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(payments)
            .where(
                and_(
                    payments.c.id == record.id,
                    payments.c.updated_at == record.updated_at,
                    payments.c.status == record.status,
                )
            )
            .values(updated_at=now)
        )
    return result.rowcount == 1


def settle_json_of(record: PaymentRecord) -> dict[str, Any] | None:
    """The stored facilitator settle response, decoded."""
    return json.loads(record.settle_json) if record.settle_json else None


async def _get(conn: AsyncConnection, payment_id: str) -> PaymentRecord:
    row = (await conn.execute(select(payments).where(payments.c.id == payment_id))).one()
    return PaymentRecord.from_row(row)


async def _find_existing(conn: AsyncConnection, values: dict[str, Any]) -> PaymentRecord:
    by_authorization = and_(
        payments.c.network == values["network"],
        payments.c.asset == values["asset"],
        payments.c.payer == values["payer"],
        payments.c.nonce == values["nonce"],
    )
    row = (await conn.execute(select(payments).where(by_authorization))).first()
    if row is None and values.get("idempotency_key"):
        row = (
            await conn.execute(
                select(payments).where(payments.c.idempotency_key == values["idempotency_key"])
            )
        ).first()
    if row is None:
        raise RuntimeError("insert conflicted but no conflicting payment was found")
    return PaymentRecord.from_row(row)


def _insert_ignoring_conflicts(conn: AsyncConnection, values: dict[str, Any]) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(payments).values(**values).on_conflict_do_nothing()
    return sqlite.insert(payments).values(**values).on_conflict_do_nothing()
