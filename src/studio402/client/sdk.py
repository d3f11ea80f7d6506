"""``AsyncStudio402Client``: quote, pay, follow and download generations (the SDK's logic)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from x402.schemas import PaymentRequired, PaymentRequirements

from studio402.client._http import api_error, send_free
from studio402.client.catalog import models_from_server
from studio402.client.download import is_expired, stream_to_file
from studio402.client.errors import ApiError, NoPayableOfferError, PaymentRefusedError
from studio402.client.errors import PaymentUnconfirmedError as _Unconfirmed
from studio402.client.models import Job, JobPage, Quote, Submission
from studio402.client.payer import AssetPolicy, sign_payment
from studio402.client.paying import deliver_payment, encode_body, read_quote, route_url
from studio402.client.polling import OnUpdate, follow_events, long_poll
from studio402.client.session import SignedSession
from studio402.client.spending import DEFAULT_MAX_PER_CALL_ATOMIC, Budget
from studio402.client.wallet import Wallet, load_wallet

__all__ = ["DEFAULT_API_URL", "AsyncStudio402Client", "PaymentSigner"]

DEFAULT_API_URL = "http://127.0.0.1:8402"
PaymentSigner = Callable[[str, PaymentRequired, PaymentRequirements], Awaitable[str]]
"""``async (private_key, challenge, offer) -> PAYMENT-SIGNATURE``; default: the official SDK."""


class AsyncStudio402Client:
    """Pay-per-generation client for a studio402 (or StableStudio-compatible) server.

    ``wallet`` is a :class:`Wallet` or a wallet spec (``env:NAME``, ``keystore:PATH``,
    ``dev:DATA_DIR``). Caps are atomic units (USDC: 134000 = $0.134): ``max_per_call_atomic``
    (default $1; ``None`` for none) and ``max_per_session_atomic`` (this client's lifetime) are
    checked before anything is signed. Tokens other than the x402 SDK's known USDC deployments
    and a dev wallet's own token need ``allowed_assets``.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        wallet: Wallet | str | None = None,
        *,
        max_per_call_atomic: int | None = DEFAULT_MAX_PER_CALL_ATOMIC,
        max_per_session_atomic: int | None = None,
        allowed_assets: Iterable[str] = (),
        payment_retry_timeout_s: float = 120.0,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        signer: PaymentSigner = sign_payment,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.wallet = wallet if isinstance(wallet, Wallet) else load_wallet(wallet)
        self.budget = Budget(max_per_call_atomic, max_per_session_atomic)
        dev = self.wallet.dev_chain()
        allowed: list[tuple[str | None, str]] = [(None, asset) for asset in allowed_assets]
        if dev is not None:
            allowed.append((dev.network, dev.token_address))
        self.assets = AssetPolicy(allowed)
        self.payment_retry_timeout_s = payment_retry_timeout_s
        self.session = SignedSession(self.wallet, dev.network if dev else None)
        self._signer = signer
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), transport=transport, follow_redirects=False
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    # discovery and quotes ------------------------------------------------------------------

    async def models(self) -> list[dict[str, Any]]:
        """The models and operations the server sells (``/api/models``, else its OpenAPI)."""
        return await models_from_server(self._http, self.base_url)

    async def quote(self, model: str, operation: str = "generate", **params: Any) -> Quote:
        """The exact price of this request, read from its 402 without paying."""
        url = route_url(self.base_url, model, operation)
        return await read_quote(
            self._http,
            url,
            encode_body(params),
            model=model,
            operation=operation,
            policy=self.assets,
        )

    # paying ---------------------------------------------------------------------------------

    async def pay(self, quote: Quote, *, max_price_atomic: int | None = None) -> Submission:
        """Pay a quote once and return the job it created.

        Checks, in order and before signing: the body was valid, an offer is payable, the
        price fits ``max_price_atomic``, the per-call cap and the session cap. Then the official
        x402 SDK signs, and the same signed header is resent until the outcome is known.
        """
        if not quote.exact:
            fields = ", ".join(str(i.get("field") or i.get("loc") or i) for i in quote.issues)
            raise ApiError(
                f"invalid request ({fields}): {quote.message}",
                status=400,
                code="invalid_request",
                body={"issues": quote.issues},
            )
        if quote.offer is None:
            raise NoPayableOfferError(
                f"no offer this wallet may pay for {quote.model}/{quote.operation} "
                f"(offered: {quote.asset} on {quote.network}); pass allowed_assets if you trust it"
            )
        reservation = self.budget.reserve(quote.amount_atomic, max_price_atomic)
        try:
            header = await self._signer(self.wallet.private_key, quote.challenge, quote.offer)
        except BaseException:
            reservation.release()
            raise
        self.session.preferred_chain = self.session.preferred_chain or quote.offer.network
        try:
            submission = await deliver_payment(
                self._http,
                quote.url,
                quote.body,
                header,
                quote.amount_atomic,
                retry_timeout_s=self.payment_retry_timeout_s,
            )
        except PaymentRefusedError:
            reservation.release()  # refused outright: no money moved
            raise
        except ApiError as exc:
            if 400 <= exc.http_status < 500:
                reservation.release()  # a 4xx refusal comes before any money moves
            else:
                reservation.commit()  # e.g. a 200 without a job id: paid, count it
            raise
        except BaseException:
            reservation.commit()  # sent, outcome unknown: count it as spent
            raise
        reservation.commit()
        return submission

    async def resume(self, pending: _Unconfirmed) -> Submission:
        """Resend the signed payment of a :class:`PaymentUnconfirmedError` (never a new one)."""
        return await deliver_payment(
            self._http,
            pending.url,
            pending.body,
            pending.payment_header,
            pending.amount_atomic,
            retry_timeout_s=self.payment_retry_timeout_s,
        )

    async def submit(
        self,
        model: str,
        operation: str,
        params: dict[str, Any],
        *,
        max_price_atomic: int | None = None,
    ) -> Submission:
        """Quote and pay ``POST /api/generate/{model}/{operation}`` with ``params`` as the body."""
        quote = await self.quote(model, operation, **params)
        return await self.pay(quote, max_price_atomic=max_price_atomic)

    async def generate(
        self, model: str, *, max_price_atomic: int | None = None, **params: Any
    ) -> Submission:
        """Pay for ``model``'s ``generate`` (params use the model's own field names, e.g.
        ``prompt=..., aspectRatio="16:9", imageSize="2K"``)."""
        return await self.submit(model, "generate", params, max_price_atomic=max_price_atomic)

    async def edit(
        self,
        model: str,
        images: list[str],
        *,
        max_price_atomic: int | None = None,
        **params: Any,
    ) -> Submission:
        """Pay for ``model``'s ``edit`` with reference ``images`` (URLs or ``data:`` URIs)."""
        body = {**params, "images": list(images)}
        return await self.submit(model, "edit", body, max_price_atomic=max_price_atomic)

    async def video(
        self,
        model: str,
        operation: str = "generate",
        *,
        max_price_atomic: int | None = None,
        **params: Any,
    ) -> Submission:
        """Pay for a video (``operation`` is ``generate``, or ``t2v``/``i2v`` for some models)."""
        return await self.submit(model, operation, params, max_price_atomic=max_price_atomic)

    # jobs ---------------------------------------------------------------------------------

    def job_url(self, job_id: str) -> str:
        """Where the job is polled."""
        return f"{self.base_url}/api/jobs/{job_id}"

    async def job(self, job_id: str | Submission) -> Job:
        """The job now (signs in with SIWX once; then uses the session token)."""
        job_id = job_id.job_id if isinstance(job_id, Submission) else job_id
        return Job((await self.session.request(self._http, "GET", self.job_url(job_id))).json())

    async def jobs(
        self, *, limit: int = 20, status: str | None = None, cursor: str | None = None
    ) -> JobPage:
        """One page of this wallet's jobs, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        url = f"{self.base_url}/api/jobs"
        document = (await self.session.request(self._http, "GET", url, params=params)).json()
        return JobPage([Job(j) for j in document.get("jobs", [])], document.get("nextCursor"))

    async def delete_job(self, job_id: str) -> dict[str, Any]:
        """Soft-delete one of this wallet's failed jobs."""
        response = await self.session.request(self._http, "DELETE", self.job_url(job_id))
        document: dict[str, Any] = response.json()
        return document

    async def wait(
        self,
        job_id: str | Submission,
        timeout_s: float = 300.0,
        *,
        on_update: OnUpdate | None = None,
    ) -> Job:
        """Long-poll until the job is complete; :class:`JobFailedError` (with the job's reason)
        or :class:`JobTimeoutError` otherwise."""
        job_id = job_id.job_id if isinstance(job_id, Submission) else job_id
        return await long_poll(
            self._http, self.session, self.job_url(job_id), job_id, timeout_s, on_update
        )

    async def watch(self, job_id: str | Submission) -> AsyncIterator[Job]:
        """Every change of the job as it happens (server-sent events), ending with the final one."""
        job_id = job_id.job_id if isinstance(job_id, Submission) else job_id
        async for job in follow_events(self._http, self.session, self.job_url(job_id)):
            yield job

    async def download(
        self,
        job: Job | str,
        path: str | Path | None = None,
        *,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Path:
        """Save the job's image or video to ``path`` (a file or directory; default: the current
        directory, ``studio402-<id>.<ext>``). An expired URL is re-minted by polling once."""
        if isinstance(job, str) or not job.media_url:
            job = await self.job(job if isinstance(job, str) else job.id)
        target = Path(path) if path is not None else None
        refreshed = False
        while True:
            url = job.media_url
            if not url:
                raise ApiError(f"job {job.id} has no result to download (status {job.status})")
            try:
                saved, _ = await stream_to_file(self._http, url, job, target, on_progress)
                return saved
            except ApiError as exc:
                if refreshed or not is_expired(exc):
                    raise
                refreshed = True
                job = await self.job(job.id)

    async def health(self) -> dict[str, Any]:
        """The server's ``/health`` (its network, asset and payTo)."""
        response = await send_free(self._http, "GET", f"{self.base_url}/health")
        if not response.is_success:
            raise api_error(response)
        document: dict[str, Any] = response.json()
        return document
