"""Configuration from the environment (prefix TANGGAP_)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.reference.categories import CATEGORIES

DEV_SECRET = "tanggap-development-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANGGAP_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./tanggap.db"
    secret_key: str = DEV_SECRET
    # Fernet keys for the signing secrets stored sealed, newest first (app/sealing.py); a key derived from
    # secret_key always comes last.
    data_keys: list[str] = Field(default_factory=list)
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Public (account-less) reporting: requests per client address per window.
    public_rate_limit: int = Field(default=10, ge=1)
    public_rate_window_seconds: int = Field(default=60, ge=1)
    # Open data (account-less figures and page): requests per client address per window (its own count, so
    # that browsing the figures never uses up the allowance for reporting), and how long a month's figures
    # are kept by a worker and by browsers and proxies.
    open_data_rate_limit: int = Field(default=60, ge=1)
    # How long browsers and proxies may keep an open-data answer (Cache-Control max-age).
    open_data_cache_seconds: int = Field(default=300, ge=0)
    # How often the background refresh recomputes the current and the previous month's stored open data
    # (older months: once a day, or when never computed); 0: no background refresh (a month is then computed
    # on its first request and kept as stored).
    open_data_refresh_seconds: int = Field(default=600, ge=0)
    # Logins: attempts per client address per minute, and per username (existing or not): after
    # login_max_failures failed attempts in a row (failures further apart than the lock-out period are
    # forgotten) the name is locked for login_lockout_minutes, unless an admin or supervisor unlocks it or
    # resets the password, or the owner changes it from a session still open.
    login_address_limit: int = Field(default=20, ge=1)
    login_max_failures: int = Field(default=10, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Browser origins allowed to call the API and open live streams, e.g. ["https://konsol.example.id"]
    # (CORS; a WebSocket's Origin is checked against the same list). Empty: same origin only.
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    # Retention (UU PDP: personal data no longer than it is needed). Crews' position history, and finished
    # webhook deliveries (their bodies may carry the personal data an endpoint was granted), are deleted
    # after these many days. A crew's last position stays on the crew; replay covers this window.
    position_history_days: int = Field(default=30, ge=1)
    webhook_delivery_days: int = Field(default=30, ge=1)
    # Person records (klien): their identity is anonymised this many years after the last of their cases
    # ended (app/persons/retention.py): by default 5; a category's own figure where given, e.g.
    # {"GEL": 3}; children's cases and data at most person_child_years, health cases and data (PD,
    # ODGJ, ODHA, NAPZA, pasung; health flags) at most person_health_years. Never while a case is open
    # or the person is placed in a facility.
    person_retention_years: int = Field(default=5, ge=1, le=50)
    person_child_years: int = Field(default=2, ge=1, le=50)
    person_health_years: int = Field(default=3, ge=1, le=50)
    person_retention_by_category: dict[str, int] = Field(default_factory=dict)
    # Connections per worker process. No overflow by default: under a sustained burst, overflow connections
    # are opened and closed for every request (a new PostgreSQL backend each time), which halves intake;
    # requests wait for a pooled connection instead, at most db_pool_timeout seconds (then 503).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    sql_echo: bool = False
    # Live streams: events a client may fall behind before it is disconnected (it resumes from its seq),
    # the application heartbeat, and the poll that backs up NOTIFY.
    stream_queue_limit: int = Field(default=1000, ge=1)
    stream_heartbeat_seconds: float = Field(default=25.0, gt=0)
    stream_poll_seconds: float = Field(default=2.0, gt=0)
    # Outgoing webhooks. Private, loopback and link-local targets are refused unless listed here (host names,
    # addresses or networks, e.g. ["127.0.0.1"]); production refuses plain http except to those.
    webhook_allow_private: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Standard Webhooks' schedule: the first attempt at once, then retries after these many seconds.
    webhook_retry_delays: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0]
    )
    webhook_jitter: float = Field(default=0.1, ge=0, le=0.5)
    webhook_concurrency: int = Field(default=8, ge=1, le=256)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    # Whether this process delivers webhooks (off: e.g. API-only instances while others deliver; the events
    # such an instance numbers reach the outbox at the others' next poll, webhook_poll_seconds).
    webhook_worker: bool = True
    # Dispatch: which rule chooses crews (the engine, or closest_idle: the usual rule, kept to measure the
    # engine against), whether this process runs dispatch rounds, and how often it looks for due ones.
    dispatch_policy: Literal["engine", "closest_idle"] = "engine"
    dispatch_worker: bool = True
    dispatch_poll_seconds: float = Field(default=0.25, gt=0, le=10)
    # Web Push (app/services/push/): the VAPID key (empty: derived from secret_key), the contact push
    # services see, whether this process sends, the retry schedule in seconds. Push endpoints are checked
    # like webhook targets (webhook_allow_private lists the private hosts they may be on).
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:trc@tanggap.invalid"
    push_worker: bool = True
    push_retry_delays: list[float] = Field(default_factory=lambda: [2.0, 10.0, 30.0, 60.0])
    push_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Logs: "text" for a terminal, "json" (one object per line) for a log pipeline; every line of a request
    # carries its request id (app/logs.py).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Who may read GET /metrics: clients from these addresses or networks (the machine itself by default,
    # e.g. a Prometheus beside it or behind the same proxy), or anyone sending `Authorization: Bearer
    # <metrics_token>` when a token is set. Not public: the figures say how busy each kab/kota is.
    metrics_allow: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    metrics_token: str = ""
    # The server's clock: "real", or "sim:<ISO start>@<speed>" for `tanggap simulate` (app/clock.py).
    clock: str = "real"

    @field_validator("data_keys")
    @classmethod
    def _fernet_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            try:
                if len(base64.urlsafe_b64decode(key.encode())) != 32:
                    raise ValueError
            except (ValueError, binascii.Error):
                raise ValueError(
                    "each of TANGGAP_DATA_KEYS must be a Fernet key: 32 bytes, url-safe base64"
                ) from None
        return keys

    @field_validator("person_retention_by_category")
    @classmethod
    def _categories(cls, years: dict[str, int]) -> dict[str, int]:
        for code, n in years.items():
            if code not in CATEGORIES:
                raise ValueError(f"TANGGAP_PERSON_RETENTION_BY_CATEGORY: unknown category {code!r}")
            if not 1 <= n <= 50:
                raise ValueError(f"TANGGAP_PERSON_RETENTION_BY_CATEGORY: {code} must be 1-50 years")
        return years

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"TANGGAP_METRICS_ALLOW: {entry!r} is not an address or network") from None
        return entries

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "TANGGAP_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if self.env == "production" and self.clock != "real":
            raise ValueError("TANGGAP_CLOCK is for simulations; production runs on real time")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
