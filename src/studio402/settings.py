"""Typed configuration: environment variables prefixed ``STUDIO402_`` (nested with ``__``),
an optional TOML file, and defaults that make up the offline dev profile."""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from studio402.providers.config import ProvidersSettings

BASE_MAINNET_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
DEV_CHAIN_IDS = frozenset({31337, 1337})
DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - refused by the production profile


class Profile(StrEnum):
    """``dev`` runs everything locally; ``production`` refuses dev keys and dev chains."""

    DEV = "dev"
    PRODUCTION = "production"


class ChainSettings(BaseModel):
    """Where payments settle. Empty fields in the dev profile are filled from the dev chain."""

    embedded: bool = Field(True, description="Start a local anvil chain (dev profile only).")
    chain_id: int = 31337
    rpc_url: str = ""
    port: int = Field(0, description="Port of the embedded anvil; 0 picks a free one.")
    persist_state: bool = Field(
        True, description="Keep the embedded chain's state across restarts."
    )
    token_address: str = ""
    token_name: str = "USD Coin"  # noqa: S105 - an EIP-712 domain name, not a secret
    token_version: str = "2"  # noqa: S105 - an EIP-712 domain version
    token_decimals: int = 6


class PaymentSettings(BaseModel):
    """How payments are quoted, verified and settled."""

    pay_to: str = Field("", description="Payout wallet; in dev defaults to the dev chain's payTo.")
    facilitator: str = Field(
        "local", description="'local' (in-process, own gas key) or an x402 facilitator base URL."
    )
    facilitator_key: SecretStr | None = Field(
        None, description="Gas key of the local facilitator (hex private key)."
    )
    facilitator_timeout_s: float = 30.0
    max_timeout_seconds: int = Field(300, description="Validity window clients should sign.")
    replay_wait_s: float = Field(10.0, description="How long a replay waits for the first request.")
    stale_after_s: float = Field(
        60.0, description="In-flight payments older than this are reconciled."
    )
    reconcile_interval_s: float = 2.0
    retry_after_s: int = 5


class StorageSettings(BaseModel):
    """Where results are kept and how long their URLs live."""

    url: str = Field(
        "", description="obstore URL (s3://bucket/prefix, file:///dir); default: data_dir/files."
    )
    options: dict[str, str] = Field(
        default_factory=dict, description="obstore options (endpoint, region, keys)."
    )
    retention_s: int = Field(7 * 24 * 3600, description="How long result bytes are kept.")
    url_ttl_s: int = Field(1200, description="Lifetime of a result URL minted at poll time.")
    sweep_interval_s: float = 3600.0


class WorkerSettings(BaseModel):
    """Job execution."""

    in_process: bool = Field(True, description="Run workers inside `studio402 serve`.")
    concurrency: int = Field(4, ge=1, description="Jobs run at once per worker process.")
    lease_s: float = Field(
        60.0, description="A job whose worker stops heartbeating is rerun after this."
    )
    heartbeat_s: float = 10.0
    poll_interval_s: float = 0.5
    max_attempts: int = 4
    backoff_base_s: float = Field(2.0, description="First retry delay of a transient failure.")
    backoff_max_s: float = Field(300.0, description="Longest retry delay.")
    drain_timeout_s: float = Field(30.0, description="On shutdown, running jobs get this long.")
    job_timeout_s: float = Field(900.0, description="Time budget of one job attempt.")


class AuthSettings(BaseModel):
    """Polling with SIGN-IN-WITH-X and session tokens."""

    session_ttl_s: int = Field(
        900, description="Lifetime of the bearer token issued after a sign-in."
    )
    max_wait_s: int = Field(60, description="Cap of ?wait= long-polling.")
    extra_chains: list[str] = Field(
        default_factory=lambda: ["eip155:8453"],
        description="CAIP-2 chains accepted for SIWX besides the settlement chain.",
    )


class ApiSettings(BaseModel):
    """The HTTP server."""

    host: str = "127.0.0.1"
    port: int = 8402
    public_url: str = Field("", description="Public origin, e.g. https://studio.example.com.")
    max_prompt_chars: int = 8000
    max_body_bytes: int = 1_000_000


Bps = Annotated[int, Field(ge=0, le=1_000_000, description="Basis points (100 = 1%).")]


class OperationOverride(BaseModel):
    """An operator's change to one operation: a whole new price formula, or its own markup."""

    model_config = ConfigDict(extra="forbid")

    price: dict[str, Any] | None = Field(None, description="catalog.toml's price schema.")
    markup_bps: Bps | None = None


class ModelOverride(BaseModel):
    """An operator's change to one model (``enabled = false`` hides it and its routes)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    provider: str | None = Field(None, description="Upstream provider (gemini, openai, fal...).")
    upstream_model: str | None = Field(None, description="The provider's model id.")
    retired: bool | None = None
    replacement: str | None = None
    markup_bps: Bps | None = None
    operations: dict[str, OperationOverride] = Field(default_factory=dict)


class CatalogSettings(BaseModel):
    """Operator overrides of the bundled catalog, applied when it is loaded."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(None, description="A catalog.toml replacing the bundled one.")
    markup_bps: Bps = 0
    models: dict[str, ModelOverride] = Field(default_factory=dict, description="By model name.")


class MediaSettings(BaseModel):
    """Reference images (fetched before payment) and uploads."""

    model_config = ConfigDict(extra="forbid")

    allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs reference URLs may reach although not public (['127.0.0.1/32'] for "
        "local tests). Empty: public addresses only.",
    )
    allow_hosts: list[str] = Field(default_factory=list, description="Hosts never checked.")
    max_image_bytes: int = Field(10_000_000, ge=1, description="Largest reference or upload.")
    max_image_pixels: int = Field(40_000_000, ge=1, description="Most pixels of an image.")
    fetch_timeout_s: float = Field(10.0, gt=0, description="Time to fetch one reference URL.")
    max_redirects: int = Field(3, ge=0, description="Redirects followed, each re-checked.")
    fetch_concurrency: int = Field(4, ge=1, description="References fetched at once.")
    max_body_bytes: int = Field(25_000_000, ge=1, description="JSON body of image routes.")
    upload_price_atomic: int = Field(10_000, ge=0, description="Price of POST /api/upload.")
    upload_slot_ttl_s: int = Field(600, ge=1, description="Life of a one-time upload URL.")
    upload_url_ttl_s: int = Field(86_400, ge=1, le=7 * 86_400, description="File URL life.")
    native_uploads: bool = Field(True, description="Serve the free POST /api/uploads.")
    native_uploads_per_hour: int = Field(30, ge=1, description="Per wallet.")
    native_uploads_need_payment: bool = Field(True, description="Only for wallets that paid.")


class Settings(BaseSettings):
    """All of studio402's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="STUDIO402_", env_nested_delimiter="__", extra="forbid"
    )

    profile: Profile = Profile.DEV
    data_dir: Path = Path(".studio402")
    database_url: str = Field("", description="SQLAlchemy URL; default SQLite in data_dir.")
    secret: SecretStr = Field(SecretStr(DEV_SECRET), description="HMAC key for nonces and URLs.")
    config_file: Path | None = None
    api: ApiSettings = ApiSettings()
    chain: ChainSettings = ChainSettings()
    payments: PaymentSettings = PaymentSettings()
    storage: StorageSettings = StorageSettings()
    worker: WorkerSettings = WorkerSettings()
    auth: AuthSettings = AuthSettings()
    providers: ProvidersSettings = ProvidersSettings()
    catalog: CatalogSettings = CatalogSettings()
    media: MediaSettings = MediaSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.profile is not Profile.PRODUCTION:
            return self
        problems = []
        if self.secret.get_secret_value() == DEV_SECRET or len(self.secret.get_secret_value()) < 32:
            problems.append("STUDIO402_SECRET must be set to a random value of 32+ characters")
        if not self.payments.pay_to:
            problems.append("STUDIO402_PAYMENTS__PAY_TO (your payout wallet) is required")
        if self.chain.embedded or self.chain.chain_id in DEV_CHAIN_IDS:
            problems.append(
                "a production profile needs a real chain (chain.embedded=false, chain_id)"
            )
        if not self.chain.rpc_url and self.payments.facilitator == "local":
            problems.append("the local facilitator needs STUDIO402_CHAIN__RPC_URL")
        if not self.chain.token_address:
            problems.append("STUDIO402_CHAIN__TOKEN_ADDRESS is required")
        if not self.api.public_url.startswith("https://"):
            problems.append("STUDIO402_API__PUBLIC_URL must be the public https:// origin")
        if problems:
            raise ValueError("production profile refused: " + "; ".join(problems))
        return self

    @property
    def network(self) -> str:
        """The CAIP-2 id of the settlement chain."""
        return f"eip155:{self.chain.chain_id}"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'studio402.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        """The object store URL, defaulting to a directory in the data directory."""
        return self.storage.url or str((self.data_dir / "files").resolve())

    @property
    def secret_bytes(self) -> bytes:
        """The HMAC secret as bytes (padded by hashing when short, as in the dev profile)."""
        import hashlib

        raw = self.secret.get_secret_value().encode()
        return raw if len(raw) >= 32 else hashlib.sha256(b"studio402:" + raw).digest()

    @property
    def resolved_public_url(self) -> str:
        """The public origin without a trailing slash."""
        return (self.api.public_url or f"http://{self.api.host}:{self.api.port}").rstrip("/")


class _TomlFileSource(TomlConfigSettingsSource):
    """Reads the TOML file named by ``STUDIO402_CONFIG_FILE`` (or ``config_file=``), if any."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls, toml_file=None)

    def __call__(self) -> dict[str, Any]:
        path = _config_file_from_env()
        if path is None or not path.exists():
            return {}
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
        return data


def _config_file_from_env() -> Path | None:
    import os

    value = os.environ.get("STUDIO402_CONFIG_FILE")
    return Path(value) if value else None
