"""Retention: delete stored results once they are older than the configured retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from studio402.storage.store import ObjectStore

__all__ = ["sweep_expired"]

logger = logging.getLogger(__name__)


async def sweep_expired(store: ObjectStore, prefix: str, retention_s: int, now: datetime) -> int:
    """Delete every object under ``prefix`` last modified more than ``retention_s`` seconds
    before ``now`` (an aware datetime), and return how many were deleted.

    Safe to run from several processes at once: deleting an already-deleted object is not an
    error. A later run picks up whatever a failed run left behind.

    Raises:
        ValueError: ``retention_s`` is negative or ``now`` is naive.
        StorageError: listing or deleting failed.
    """
    if retention_s < 0:
        raise ValueError(f"retention_s must not be negative, got {retention_s}")
    cutoff = now - timedelta(seconds=retention_s)
    deleted = 0
    for key in await store.list_older_than(prefix, cutoff):
        try:
            await store.delete(key)
        except ValueError:
            logger.warning("not sweeping an object with an invalid key", extra={"key": key})
            continue
        deleted += 1
    if deleted:
        logger.info("swept expired objects", extra={"prefix": prefix, "count": deleted})
    return deleted
