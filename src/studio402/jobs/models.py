"""Job values as the rest of the code sees them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row


class JobStatus(StrEnum):
    """Exactly StableStudio's status strings."""

    PENDING = "pending"
    LOADING = "loading"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """One paid generation."""

    id: str
    type: str
    model: str
    operation: str
    input: dict[str, Any]
    payer: str
    payment_id: str
    status: JobStatus
    progress: int
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Job:
        """Build from a ``jobs`` row."""
        m = row._mapping
        return cls(
            id=m["id"],
            type=m["type"],
            model=m["model"],
            operation=m["operation"],
            input=json.loads(m["input_json"]),
            payer=m["payer"],
            payment_id=m["payment_id"],
            status=JobStatus(m["status"]),
            progress=m["progress"],
            result=json.loads(m["result_json"]) if m["result_json"] else None,
            error=json.loads(m["error_json"]) if m["error_json"] else None,
            attempts=m["attempts"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            deleted_at=m["deleted_at"],
        )
