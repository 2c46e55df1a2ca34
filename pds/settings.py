"""Service configuration, read from `PDS_*` environment variables (or an injected mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "PDS_"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting the service reads; see the configuration table in README.md."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    environment: Environment = Field(
        Environment.DEVELOPMENT, description="development, test or production"
    )
    data_dir: Path = Field(Path(".pds"), description="where SQLite and development keys live")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at DATA_DIR/pds.db"
    )
    keyring_file: Path | None = Field(
        None, description="key file; empty means DATA_DIR/keys/keyring.json"
    )
    keyring_json: str | None = Field(
        None, repr=False, description="the keyring itself as JSON (instead of a key file)"
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="external base URL; the OAuth issuer"
    )
    session_ttl_seconds: int = Field(
        8 * 3600, ge=300, description="how long a sign-in lasts without activity"
    )
    max_body_bytes: int = Field(
        256 * 1024, ge=1024, description="requests with larger bodies get 413"
    )
    password_time_cost: int = Field(3, ge=1, description="argon2id iterations")
    password_memory_kib: int = Field(65536, ge=1024, description="argon2id memory in KiB")
    shred_on_erasure: bool = Field(
        True,
        description="rotate the key-encryption key after each erasure so backups taken "
        "before it cannot be decrypted with the current keys",
    )
    rate_limit_signin_per_minute: int = Field(
        30,
        ge=0,
        description="sign-in attempts per client address, and password checks (change, erase) "
        "per signed-in session, per minute (0: off); generous, because a field office behind "
        "one carrier NAT shares an address, and wrong passwords are also counted per account",
    )
    signin_failures_per_account: int = Field(
        10,
        ge=0,
        description="wrong passwords for one account, from any address, after which its "
        "sign-in is paused until the oldest is older than the window (0: off)",
    )
    signin_failure_window_minutes: int = Field(
        15, ge=1, description="the window of signin_failures_per_account, in minutes"
    )
    rate_limit_signup_per_minute: int = Field(
        10, ge=0, description="sign-ups and OAuth registrations per address per minute"
    )
    rate_limit_token_per_minute: int = Field(
        300, ge=0, description="OAuth token requests per address per minute"
    )
    rate_limit_record_writes_per_minute: int = Field(
        120, ge=0, description="record writes per credential per minute"
    )
    # NoDecode: the environment gives a comma-separated list, not JSON.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = Field(
        (),
        description="comma-separated addresses or CIDR networks of the reverse proxies whose "
        "X-Forwarded-For names the client (empty: trust none, limit per TCP peer)",
    )
    receipt_jurisdiction: str = Field(
        "IN",
        min_length=2,
        max_length=100,
        description="the jurisdiction consent receipts name (e.g. an ISO 3166 country code)",
    )
    background_worker: bool = Field(
        True,
        description="deliver notices and sweep expired grants in the server process "
        "(off: run `pds outbox deliver` and `pds grants expire` from cron)",
    )
    worker_interval_seconds: float = Field(
        2.0, gt=0, le=3600, description="how often the worker looks for notices to deliver"
    )
    expiry_sweep_seconds: float = Field(
        60.0, gt=0, le=86400, description="how often grants past their end are marked expired"
    )
    notice_retry_base_seconds: float = Field(
        30.0, gt=0, description="delay before retrying a failed notice; doubles on each failure"
    )
    notice_retry_max_seconds: float = Field(
        3600.0, gt=0, description="the longest delay between two attempts at one notice"
    )
    notice_give_up_hours: float = Field(
        72.0, gt=0, description="a notice still undelivered after this long is abandoned"
    )
    notice_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="how long one webhook delivery may take"
    )
    metrics_token: SecretStr | None = Field(
        None, description="bearer token for /metrics; unset disables the endpoint"
    )
    demo_password: str = Field(
        "demo-password-2026", repr=False, description="password of the demo person (pds demo)"
    )
    audit_checkpoint_every_entries: int = Field(
        1000, ge=1, le=1_000_000, description="sign an audit checkpoint at least every N entries"
    )
    audit_checkpoint_every_seconds: float = Field(
        60.0,
        ge=0,
        le=86400,
        description="…and at least every T seconds while entries are unsigned (0: only every N)",
    )
    audit_retention_days: int | None = Field(
        None, ge=1, description="prune audit entries older than this; empty keeps them forever"
    )

    bench_baseline: bool = Field(
        False, description="serve the bare JSON endpoint `make bench` measures against (bench only)"
    )

    @field_validator("public_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        """`10.0.0.5, 192.168.0.0/16, ::1`: each an address or a network (no host bits set)."""
        if not isinstance(value, str):
            return value
        networks = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                networks.append(ip_network(item))
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR network: {item!r} ({exc})") from None
        return tuple(networks)

    @field_validator("audit_retention_days", mode="before")
    @classmethod
    def _empty_is_forever(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'pds.db'}"

    @property
    def resolved_keyring_file(self) -> Path:
        return self.keyring_file or self.data_dir / "keys" / "keyring.json"

    @property
    def secure_cookies(self) -> bool:
        """Cookies are `Secure` everywhere except plain-HTTP development and tests."""
        return self.is_production or self.public_url.startswith("https://")


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from `environ` (default: the process environment) plus explicit overrides.

    Tests pass a dict instead of patching `os.environ`.
    """
    if environ is None:
        return Settings(**overrides)  # type: ignore[arg-type]
    values: dict[str, object] = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX)
    }
    values.update(overrides)
    return Settings.model_validate(values)
