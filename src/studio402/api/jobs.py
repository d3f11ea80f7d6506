"""Job routes: poll one job (long-poll with ``?wait=``), stream its events, list, delete."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from studio402.api.deps import ServicesDep
from studio402.api.wallet import CallerDep
from studio402.jobs import service
from studio402.jobs.models import JobStatus
from studio402.jobs.service import JobView
from studio402.results import public_result
from studio402.services import Services

router = APIRouter(tags=["jobs"])

FINAL = (JobStatus.COMPLETE, JobStatus.FAILED)


@router.get("/api/jobs/{job_id}", summary="Poll a job (SIGN-IN-WITH-X or session token)")
async def get_job(
    job_id: str,
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
    wait: Annotated[float, Query(ge=0, description="Long-poll: seconds to wait for a change")] = 0,
) -> dict[str, Any]:
    """The job; with ``wait`` the answer comes when its status changes or the time is up."""
    view = await service.get_job(services.engine, job_id)
    caller.owns(view.job.payer)
    caller.annotate(response)
    if wait > 0:
        view = await service.wait_for_update(
            services.engine, view, min(wait, services.settings.auth.max_wait_s)
        )
    response.headers["Cache-Control"] = "no-store"
    return await job_document(services, view)


@router.get("/api/jobs/{job_id}/events", summary="Stream job status changes (server-sent events)")
async def job_events(job_id: str, caller: CallerDep, services: ServicesDep) -> StreamingResponse:
    """``text/event-stream``: one ``status`` event per change, closing after the final one."""
    view = await service.get_job(services.engine, job_id)
    caller.owns(view.job.payer)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if caller.session_token and caller.session_expires_at:
        headers["X-Session-Token"] = caller.session_token
        headers["X-Session-Expires-At"] = caller.session_expires_at.isoformat()
    return StreamingResponse(
        _events(services, view), media_type="text/event-stream", headers=headers
    )


async def _events(services: Services, view: JobView) -> AsyncIterator[str]:
    yield _sse(await job_document(services, view))
    keepalive_s = 15.0
    while view.job.status not in FINAL:
        updated = await service.wait_for_update(services.engine, view, keepalive_s)
        if updated.job.updated_at == view.job.updated_at and updated.job.status not in FINAL:
            yield ": keep-alive\n\n"
            continue
        view = updated
        yield _sse(await job_document(services, view))


def _sse(document: dict[str, Any]) -> str:
    return f"event: status\nid: {document['updatedAt']}\ndata: {json.dumps(document)}\n\n"


@router.get("/api/jobs", summary="List the caller's jobs")
async def list_jobs(
    caller: CallerDep,
    services: ServicesDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    status: JobStatus | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Newest first; pass ``nextCursor`` back as ``cursor`` for the next page."""
    views, next_cursor = await service.list_jobs(
        services.engine, caller.address, limit=limit, status=status, cursor=cursor
    )
    caller.annotate(response)
    return {
        "jobs": [await job_document(services, view) for view in views],
        "nextCursor": next_cursor,
    }


@router.delete("/api/jobs/{job_id}", summary="Delete a failed job")
async def delete_job(
    job_id: str, caller: CallerDep, services: ServicesDep, response: Response
) -> dict[str, Any]:
    """Soft-delete one of the caller's failed jobs."""
    view = await service.get_job(services.engine, job_id)
    caller.owns(view.job.payer)
    await service.soft_delete(services.engine, job_id, caller.address, services.clock.now())
    caller.annotate(response)
    return {"success": True, "id": job_id, "deleted": True}


async def job_document(services: Services, view: JobView) -> dict[str, Any]:
    """The job as clients see it (StableStudio's field names)."""
    job, payment = view.job, view.payment
    return {
        "id": job.id,
        "type": job.type,
        "status": job.status.value,
        "progress": 100 if job.status is JobStatus.COMPLETE else job.progress,
        "input": job.input,
        "result": await public_result(services, job.result) if job.result else None,
        "error": job.error,
        "createdAt": job.created_at.isoformat(),
        "updatedAt": job.updated_at.isoformat(),
        "payment": {
            "protocol": payment.protocol,
            "transaction": payment.transaction,
            "amount": str(payment.amount_atomic),
            "network": payment.network,
        },
    }
