"""Checks before a server starts listening: refuse unsafe settings off localhost."""

from __future__ import annotations

import ipaddress

from assay.config import DEFAULT_SECRET, Settings
from assay.errors import Invalid
from assay.services.db import Db
from assay.services.demo import demo_accounts_present


def is_local(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_safe_to_serve(settings: Settings, db: Db) -> None:
    """Raise Invalid when a non-local server would run with the default secret or demo accounts,
    unless `allow_insecure` is set."""
    if is_local(settings.host) or settings.allow_insecure:
        return
    problems = []
    if settings.secret_key == DEFAULT_SECRET:
        problems.append("the default secret key (set ASSAY_SECRET_KEY)")
    if demo_accounts_present(db):
        problems.append("demo accounts with published passwords (change or deactivate them)")
    if problems:
        raise Invalid(f"refusing to listen on {settings.host} with " + " and ".join(problems) +
                      "; fix that, or set ASSAY_ALLOW_INSECURE=true for a throwaway server")
