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
    worker_threads: int = Field(2, ge=1, description=(
        "Threads of the server's job runner that claim queued background jobs from the jobs table (explorer "
        "cache builds, code runs resumed after a restart); a code run a request starts runs at once in a "
        "thread of the same runner."))
    sandbox_concurrency: int = Field(2, description="Sandbox runs allowed at once on this machine.")
    allow_insecure: bool = Field(False, description="Allow a non-local server with default secrets or demo "
                                 "accounts (never in production).")
    demo_accounts: bool = Field(False, description="Set by `assay demo`: demo accounts with printed passwords exist.")
    log_level: str = Field("info", description="Logging level of the server.")

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
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from flags (overrides, None values ignored), environment and defaults."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
