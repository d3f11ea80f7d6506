"""SQLAlchemy Core table of consumed SIWX nonces (the caller registers it on the app metadata)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

__all__ = ["siwx_nonces_table"]


def siwx_nonces_table(metadata: MetaData) -> Table:
    """Define ``siwx_nonces`` on ``metadata``: one row per consumed nonce, kept until it expires.

    ``nonce`` is the primary key, so a replayed proof fails on ``INSERT``; ``expires_at`` (aware
    UTC) is indexed for :meth:`~studio402.auth.nonces.SqlNonceStore.purge_expired`.
    """
    return Table(
        "siwx_nonces",
        metadata,
        Column("nonce", String(128), primary_key=True),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )
