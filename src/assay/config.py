"""Settings: one class, every field with a default and a description.

Values come from keyword arguments (CLI flags), then environment variables `ASSAY_<FIELD>`, then defaults.
`load_settings()` builds one; nothing is read at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "assay-dev-secret-change-me"


class Settings(BaseSettings):
    """Everything configurable about an Assay deployment."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", extra="ignore")

    data_dir: Path = Field(Path("assay-data"), description="Folder for the SQLite database, datasets and exports.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means sqlite:///<data_dir>/assay.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db")
    dataset_store: str = Field("", description="Dataset store location (path or fsspec URL); "
                               "empty means <data_dir>/datasets.")
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, description="Port the web server listens on.")
    secret_key: str = Field(DEFAULT_SECRET, description="Secret for signing; must be changed off localhost.")
    session_idle_minutes: int = Field(120, description="A session ends after this long without a request.")
    session_absolute_hours: int = Field(24, description="A session ends this long after sign-in, whatever happens.")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set when served behind HTTPS).")
    default_lease_minutes: int = Field(30, description="How long a served record stays reserved for its annotator.")
    login_max_failures: int = Field(5, description="Failed sign-ins per account or address before throttling.")
    login_window_seconds: int = Field(300, description="Window over which failed sign-ins are counted.")
    login_max_address_failures: int = Field(100, ge=1, description=(
        "Failed sign-ins from one client address (over all accounts) before that address is throttled; much "
        "higher than the per-account limit, since many people may share an address (an office, a proxy)."))
    trusted_proxies: str = Field("", description=(
        "Comma-separated addresses or CIDR networks of reverse proxies in front of the server. Only when "
        "a request comes from one of them is its X-Forwarded-For header used for the client's address "
        "(the rightmost entry that is not itself a trusted proxy); otherwise the header is ignored."))
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description=(
        "Largest request body accepted by any route except imports (bigger ones get 413 before being read)."))
    max_import_bytes: int = Field(64 * 1024 * 1024, ge=1024, description=(
        "Largest request body accepted by the record import route (POST /api/v1/projects/{id}/records)."))
    max_upload_bytes: int = Field(2 * 1024 ** 3, ge=1024, description=(
        "Largest file a lead may upload to import (the import page, POST /api/v1/projects/{id}/imports and "
        "the SDK's upload): streamed to <data_dir>/uploads and counted while it streams."))
    max_anonymous_body_bytes: int = Field(64 * 1024, ge=1024, description=(
        "Largest request body accepted from a caller with no credentials (sign-in and invite forms)."))
    worker_threads: int = Field(2, ge=1, description=(
        "Threads of the server's job runner that claim queued background jobs from the jobs table (explorer "
        "cache builds, code runs resumed after a restart); a code run a request starts runs at once in a "
        "thread of the same runner."))
    explorer_query_seconds: float = Field(10.0, gt=0, description=(
        "Longest an explorer query (a page of a filtered view, or a selection sent to a project or saved) may "
        "run; DuckDB is interrupted then and the filter is refused as too slow (422, code query_timeout)."))
    sandbox_concurrency: int = Field(2, description="Sandbox runs allowed at once on this machine.")
    job_retention_days: float = Field(30.0, description=(
        "Days a finished background job (export, import check, cache build, code run) stays in the jobs "
        "table, with its state and message; older ones are deleted daily. 0 keeps them all."))
    allow_insecure: bool = Field(False, description="Allow a non-local server with default secrets or demo "
                                 "accounts (never in production).")
    demo_accounts: bool = Field(False, description="Set by `assay demo`: demo accounts with printed passwords exist.")
    log_level: str = Field("info", description="Logging level of the server.")
    outbound_allowed_hosts: str = Field("", description=(
        "Comma-separated hosts the server may call out to (model endpoints): names (`api.openai.com`), "
        "wildcards (`*.example.com`), `*` (any public host), IP addresses or CIDR networks. Every address a "
        "name resolves to must be public, unless it lies in a listed IP/network: loopback and private "
        "ranges are reachable only when listed explicitly (e.g. `127.0.0.1`, `10.0.0.0/8`). Empty: no "
        "outbound calls. `assay demo` allows 127.0.0.1 and ::1."))

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: the explicit one, or SQLite inside data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'assay.db').resolve()}"

    @property
    def resolved_dataset_store(self) -> str:
        """Where dataset versions live: the explicit store, or <data_dir>/datasets."""
        return self.dataset_store or str((self.data_dir / "datasets").resolve())

    @property
    def exports_dir(self) -> Path:
        """Where rendered exports are written."""
        return self.data_dir / "exports"

    @property
    def outbound_hosts(self) -> tuple[str, ...]:
        """`outbound_allowed_hosts` as a tuple of non-empty entries."""
        return tuple(h.strip() for h in self.outbound_allowed_hosts.split(",") if h.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from flags (overrides, None values ignored), environment and defaults."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
