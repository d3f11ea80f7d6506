"""The ``providers`` section of the settings: one block per upstream vendor.

A vendor is *configured* when its key is set (Vertex: a key or a project); its models then run on
its adapter. Every other model runs on the local model in the dev profile, and is refused (the job
fails with ``upstream_not_configured``) in production, unless ``fallback`` says otherwise.

From the environment: ``STUDIO402_PROVIDERS__GEMINI__API_KEY=...``,
``STUDIO402_PROVIDERS__VERTEX__PROJECT=...``; from the TOML file: ``[providers.gemini]``
``api_key = "..."``. See docs/providers.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "BFLSettings",
    "FalSettings",
    "GeminiSettings",
    "OpenAISettings",
    "ProvidersSettings",
    "UpstreamSettings",
    "VertexSettings",
    "XAISettings",
]


class UpstreamSettings(BaseModel):
    """What every vendor takes: a key, a base URL (empty: the vendor's), timeouts and polling."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(None, description="The vendor's API key.")
    base_url: str = Field("", description="Replaces the vendor's endpoint (a proxy, a fake).")
    timeout_s: float = Field(120.0, gt=0, description="Longest single upstream call.")
    max_attempts: int = Field(
        3, ge=1, description="Tries of one call on 429/5xx inside a job (then the job retries)."
    )
    poll_min_s: float | None = Field(None, gt=0, description="First poll interval (async APIs).")
    poll_max_s: float | None = Field(None, gt=0, description="Longest poll interval.")

    @property
    def configured(self) -> bool:
        """True when the adapter can run (a non-empty key)."""
        return bool(self.api_key and self.api_key.get_secret_value())

    @property
    def key(self) -> str:
        """The key in clear ('' when unset)."""
        return self.api_key.get_secret_value() if self.api_key else ""


class GeminiSettings(UpstreamSettings):
    """Google Gemini Developer API (Nano Banana, Nano Banana Pro)."""

    timeout_s: float = Field(360.0, gt=0, description="4K images can take minutes.")
    api_version: str = Field("", description="API version path ('' = the SDK's default).")


class OpenAISettings(UpstreamSettings):
    """OpenAI Images API (GPT Image 1.5, GPT Image 2). ``base_url`` ends in ``/v1``."""

    timeout_s: float = Field(300.0, gt=0)
    organization: str = Field("", description="OpenAI organization id, if any.")


class BFLSettings(UpstreamSettings):
    """Black Forest Labs (FLUX.2). ``base_url``: https://api.bfl.ai (or api.eu / api.us)."""

    timeout_s: float = Field(60.0, gt=0)


class XAISettings(UpstreamSettings):
    """xAI (Grok Imagine image and video), gRPC. ``base_url`` is ``host:port``, or
    ``http://host:port`` for a plaintext channel (a local fake)."""

    timeout_s: float = Field(300.0, gt=0)


class FalSettings(UpstreamSettings):
    """fal.ai queue (Seedance, Wan 2.6). ``base_url`` defaults to https://queue.fal.run."""

    timeout_s: float = Field(60.0, gt=0)


class VertexSettings(UpstreamSettings):
    """Vertex AI (Veo 3.1): express mode with ``api_key``, or ``project`` + ``location`` with
    ``credentials_file`` (a service-account JSON) or Application Default Credentials."""

    project: str = Field("", description="Google Cloud project id (project mode).")
    location: str = Field("us-central1", description="Vertex region (project mode).")
    credentials_file: Path | None = Field(None, description="Service-account JSON key file.")

    @property
    def configured(self) -> bool:
        """True with an API key (express mode) or a project."""
        return super().configured or bool(self.project)


class ProvidersSettings(BaseModel):
    """Upstream vendors, and what happens to models whose vendor is not configured."""

    model_config = ConfigDict(extra="forbid")

    gemini: GeminiSettings = GeminiSettings()
    openai: OpenAISettings = OpenAISettings()
    bfl: BFLSettings = BFLSettings()
    xai: XAISettings = XAISettings()
    vertex: VertexSettings = VertexSettings()
    fal: FalSettings = FalSettings()
    fallback: Literal["local", "refuse"] | None = Field(
        None,
        description="Models of unconfigured vendors: 'local' (the local model) or 'refuse' "
        "(jobs fail). Default: local in the dev profile, refuse in production.",
    )
    local_only: bool = Field(False, description="Run every model locally, keys or not.")
    local_video_fps: int | None = Field(
        None, ge=1, le=60, description="Frame rate of local videos (default 24, 12 above 720p)."
    )

    def vendors(self) -> dict[str, UpstreamSettings]:
        """Each vendor's block by provider name (the catalog's ``provider`` field)."""
        return {
            "gemini": self.gemini,
            "openai": self.openai,
            "bfl": self.bfl,
            "xai": self.xai,
            "vertex": self.vertex,
            "fal": self.fal,
        }
