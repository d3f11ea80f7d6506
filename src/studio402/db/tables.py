"""SQLAlchemy Core tables. Money is stored as integers in atomic units; times are aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every dialect (SQLite stores naive text otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("protocol", String(16), nullable=False),
    Column("network", String(64), nullable=False),
    Column("asset", String(64), nullable=False),
    Column("payer", String(64), nullable=False),
    Column("pay_to", String(64), nullable=False),
    Column("amount_atomic", BigInteger, nullable=False),
    Column("nonce", String(80), nullable=False),
    Column("valid_before", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("tx_hash", String(80)),
    Column("error_reason", String(120)),
    Column("error_message", Text),
    Column("idempotency_key", String(160), unique=True),
    Column("payload_sha256", String(64), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("requirements_json", Text, nullable=False),
    Column("settle_json", Text),
    Column("route", String(200), nullable=False),
    Column("model", String(80), nullable=False),
    Column("operation", String(40), nullable=False),
    Column("input_json", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # What the payment buys, created when it settles: "job" or "upload" (migration 0002).
    Column("kind", String(16), nullable=False, default="job", server_default="job"),
    UniqueConstraint("network", "asset", "payer", "nonce", name="uq_payments_authorization"),
    Index("ix_payments_status_updated", "status", "updated_at"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("type", String(120), nullable=False),
    Column("model", String(80), nullable=False),
    Column("operation", String(40), nullable=False),
    Column("input_json", Text, nullable=False),
    Column("payer", String(64), nullable=False),
    Column("payment_id", String(40), ForeignKey("payments.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False, default=0),
    Column("result_json", Text),
    Column("error_json", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("run_after", UtcDateTime(), nullable=False),
    Column("lease_owner", String(80)),
    Column("lease_expires_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("deleted_at", UtcDateTime()),
    Index("ix_jobs_claim", "status", "run_after"),
    Index("ix_jobs_payer_created", "payer", "created_at"),
)

siwx_nonces = Table(
    "siwx_nonces",
    metadata,
    Column("nonce", String(128), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(40), primary_key=True),
    # Set for a paid StableStudio-style upload slot; NULL for a native multipart upload.
    Column("payment_id", String(40), ForeignKey("payments.id"), unique=True),
    Column("payer", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("declared_type", String(64), nullable=False),
    Column("declared_size", BigInteger),
    Column("status", String(16), nullable=False),
    Column("object_key", String(200)),
    Column("content_type", String(64)),
    Column("size_bytes", BigInteger),
    Column("width", Integer),
    Column("height", Integer),
    Column("sha256", String(64)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_uploads_payer_created", "payer", "created_at"),
)
