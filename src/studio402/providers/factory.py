"""Build the provider registry from the catalog and the ``providers`` settings.

Each model goes to its catalog ``provider`` when that vendor is configured (a key is set), else
to the fallback: the local model (dev profile) or :class:`UnconfiguredProvider` (production),
whose jobs fail with ``upstream_not_configured``. Vendor SDKs are imported only for configured
vendors, so a dev install needs no ``studio402[providers]`` extra.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx

from studio402.catalog import Catalog
from studio402.clock import Clock
from studio402.errors import ProviderError
from studio402.providers._upstream import PollPolicy
from studio402.providers.base import GenerationRequest, PollResult, Provider, Submission
from studio402.providers.config import ProvidersSettings, UpstreamSettings
from studio402.providers.local import LocalProvider
from studio402.providers.references import ReferenceReader
from studio402.providers.registry import ProviderRegistry, Route

__all__ = ["UnconfiguredProvider", "build_adapter", "build_registry"]

logger = logging.getLogger(__name__)

LOCAL = "local"
UNCONFIGURED = "unconfigured"


class UpstreamNotConfiguredError(ProviderError):
    """This model's upstream provider has no key configured."""

    code = "upstream_not_configured"
    retryable = False


class UnconfiguredProvider:
    """Fails every job of a model whose vendor has no key (production's fallback)."""

    name = UNCONFIGURED

    async def submit(self, request: GenerationRequest) -> Submission:
        """Refuse the job.

        Raises:
            UpstreamNotConfiguredError: always (not retryable).
        """
        raise UpstreamNotConfiguredError(
            f"model {request.model!r} needs an upstream key that this server does not have"
        )

    async def poll(self, handle: str) -> PollResult:
        """Never reached.

        Raises:
            UpstreamNotConfiguredError: always.
        """
        raise UpstreamNotConfiguredError(f"no pending generation {handle!r}")

    async def cancel(self, handle: str) -> None:
        """Nothing to cancel."""


def _policy(config: UpstreamSettings, default: PollPolicy) -> PollPolicy:
    return PollPolicy(
        attempts=config.max_attempts,
        retry_base_s=default.retry_base_s,
        retry_max_s=default.retry_max_s,
        poll_min_s=config.poll_min_s or default.poll_min_s,
        poll_max_s=config.poll_max_s or default.poll_max_s,
    )


def build_adapter(
    name: str,
    config: ProvidersSettings,
    *,
    http: httpx.AsyncClient | None = None,
    references: ReferenceReader | None = None,
    clock: Clock | None = None,
) -> Provider:
    """The adapter for vendor ``name`` configured by ``config`` (its SDK imported now).

    Raises:
        ImportError: the vendor's SDK is missing (the message names the extra).
        ValueError: an unknown vendor.
    """
    if name == "gemini":
        from studio402.providers.gemini import GeminiProvider

        g = config.gemini
        return GeminiProvider(
            api_key=g.key,
            base_url=g.base_url or None,
            api_version=g.api_version or None,
            timeout_s=g.timeout_s,
            policy=_policy(g, PollPolicy()),
            references=references,
            clock=clock,
        )
    if name == "openai":
        from studio402.providers.openai import OpenAIProvider

        o = config.openai
        return OpenAIProvider(
            api_key=o.key,
            base_url=o.base_url or None,
            organization=o.organization or None,
            timeout_s=o.timeout_s,
            policy=_policy(o, PollPolicy()),
            references=references,
            clock=clock,
        )
    if name == "bfl":
        from studio402.providers.bfl import BFLProvider

        b = config.bfl
        return BFLProvider(
            api_key=b.key,
            base_url=b.base_url or None,
            http=http,
            timeout_s=b.timeout_s,
            policy=_policy(b, PollPolicy(poll_min_s=0.5, poll_max_s=5.0)),
            references=references,
            clock=clock,
        )
    if name == "fal":
        from studio402.providers.fal import FalProvider

        f = config.fal
        return FalProvider(
            api_key=f.key,
            base_url=f.base_url or None,
            http=http,
            timeout_s=f.timeout_s,
            policy=_policy(f, PollPolicy(poll_min_s=2.0, poll_max_s=10.0)),
            references=references,
            clock=clock,
        )
    if name == "xai":
        from studio402.providers.xai import XAIProvider

        x = config.xai
        host = x.base_url.removeprefix("https://").removeprefix("http://").rstrip("/")
        return XAIProvider(
            api_key=x.key,
            api_host=host or None,
            insecure=x.base_url.startswith("http://"),
            http=http,
            timeout_s=x.timeout_s,
            policy=_policy(x, PollPolicy(poll_min_s=2.0, poll_max_s=10.0)),
            references=references,
            clock=clock,
        )
    if name == "vertex":
        from studio402.providers.vertex import VertexProvider

        v = config.vertex
        return VertexProvider(
            api_key=v.key or None,
            project=v.project or None,
            location=v.location,
            credentials_file=v.credentials_file,
            base_url=v.base_url or None,
            timeout_s=v.timeout_s,
            policy=_policy(v, PollPolicy(poll_min_s=5.0, poll_max_s=15.0)),
            references=references,
            clock=clock,
        )
    raise ValueError(f"unknown provider {name!r}")


def build_registry(
    catalog: Catalog,
    config: ProvidersSettings,
    *,
    fallback: str,
    http: httpx.AsyncClient | None = None,
    references: ReferenceReader | None = None,
    clock: Clock | None = None,
    adapters: Mapping[str, Provider] | None = None,
) -> ProviderRegistry:
    """Route every catalog model to its configured vendor's adapter, else to ``fallback``
    (``"local"`` or ``"refuse"``). ``adapters`` replaces built adapters by name (tests).

    Raises:
        ImportError: a configured vendor's SDK is missing.
    """
    vendors = (
        {}
        if config.local_only
        else {name: block for name, block in config.vendors().items() if block.configured}
    )
    providers: dict[str, Provider] = {
        LOCAL: LocalProvider(video_fps=config.local_video_fps),
        UNCONFIGURED: UnconfiguredProvider(),
    }
    routes: dict[str, Route] = {}
    for model_name, model in catalog.models.items():
        vendor = model.provider
        if vendor in vendors or (adapters and vendor in adapters):
            if vendor not in providers:
                providers[vendor] = (adapters or {}).get(vendor) or build_adapter(
                    vendor, config, http=http, references=references, clock=clock
                )
            routes[model_name] = Route(vendor, model.upstream_model)
        else:
            target = LOCAL if fallback == "local" or vendor == LOCAL else UNCONFIGURED
            routes[model_name] = Route(target, model.upstream_model)
    upstream = sorted(name for name in providers if name not in (LOCAL, UNCONFIGURED))
    logger.info("providers: %s; other models -> %s", ", ".join(upstream) or "none", fallback)
    return ProviderRegistry(providers.values(), routes)
