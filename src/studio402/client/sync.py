"""``Studio402Client``: the blocking facade over :class:`AsyncStudio402Client`.

It runs the async client on an event loop in a background thread (an anyio blocking portal), so
it works from plain scripts and from inside other frameworks' threads alike::

    with Studio402Client("http://127.0.0.1:8402", "dev:.studio402") as client:
        job = client.wait(client.generate("nano-banana-pro", prompt="A sunset"), timeout_s=120)
        client.download(job, "sunset.png")
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from studio402.client.errors import PaymentUnconfirmedError
from studio402.client.models import Job, JobPage, Quote, Submission
from studio402.client.sdk import DEFAULT_API_URL, AsyncStudio402Client
from studio402.client.spending import Budget
from studio402.client.wallet import Wallet

__all__ = ["Studio402Client"]

T = TypeVar("T")


class Studio402Client:
    """Blocking client; same arguments and methods as :class:`AsyncStudio402Client`."""

    def __init__(
        self, base_url: str = DEFAULT_API_URL, wallet: Wallet | str | None = None, **options: Any
    ) -> None:
        self._portal_cm = start_blocking_portal()
        self._portal: BlockingPortal = self._portal_cm.__enter__()
        try:
            self._client: AsyncStudio402Client = self._portal.call(
                functools.partial(_build, base_url, wallet, options)
            )
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            raise

    def _run(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        result: T = self._portal.call(functools.partial(fn, *args, **kwargs))
        return result

    @property
    def budget(self) -> Budget:
        """The spending caps and what this client spent."""
        return self._client.budget

    @property
    def wallet(self) -> Wallet:
        """The paying wallet."""
        return self._client.wallet

    def close(self) -> None:
        """Close the connections and stop the background loop."""
        try:
            self._run(self._client.aclose)
        finally:
            self._portal_cm.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def models(self) -> list[dict[str, Any]]:
        """See :meth:`AsyncStudio402Client.models`."""
        return self._run(self._client.models)

    def quote(self, model: str, operation: str = "generate", **params: Any) -> Quote:
        """See :meth:`AsyncStudio402Client.quote`."""
        return self._run(self._client.quote, model, operation, **params)

    def pay(self, quote: Quote, *, max_price_atomic: int | None = None) -> Submission:
        """See :meth:`AsyncStudio402Client.pay`."""
        return self._run(self._client.pay, quote, max_price_atomic=max_price_atomic)

    def resume(self, pending: PaymentUnconfirmedError) -> Submission:
        """See :meth:`AsyncStudio402Client.resume`."""
        return self._run(self._client.resume, pending)

    def generate(self, model: str, **params: Any) -> Submission:
        """See :meth:`AsyncStudio402Client.generate`."""
        return self._run(self._client.generate, model, **params)

    def edit(self, model: str, images: list[str], **params: Any) -> Submission:
        """See :meth:`AsyncStudio402Client.edit`."""
        return self._run(self._client.edit, model, images, **params)

    def video(self, model: str, operation: str = "generate", **params: Any) -> Submission:
        """See :meth:`AsyncStudio402Client.video`."""
        return self._run(self._client.video, model, operation, **params)

    def job(self, job_id: str | Submission) -> Job:
        """See :meth:`AsyncStudio402Client.job`."""
        return self._run(self._client.job, job_id)

    def jobs(self, **options: Any) -> JobPage:
        """See :meth:`AsyncStudio402Client.jobs`."""
        return self._run(self._client.jobs, **options)

    def delete_job(self, job_id: str) -> dict[str, Any]:
        """See :meth:`AsyncStudio402Client.delete_job`."""
        return self._run(self._client.delete_job, job_id)

    def wait(self, job_id: str | Submission, timeout_s: float = 300.0) -> Job:
        """See :meth:`AsyncStudio402Client.wait`."""
        return self._run(self._client.wait, job_id, timeout_s)

    def download(self, job: Job | str, path: str | Path | None = None) -> Path:
        """See :meth:`AsyncStudio402Client.download`."""
        return self._run(self._client.download, job, path)


async def _build(
    base_url: str, wallet: Wallet | str | None, options: dict[str, Any]
) -> AsyncStudio402Client:
    return AsyncStudio402Client(base_url, wallet, **options)
