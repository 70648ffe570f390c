"""Checks before a server starts listening: refuse unsafe settings off localhost."""

from __future__ import annotations

import ipaddress

from assay.config import DEFAULT_SECRET, Settings
from assay.errors import Invalid
from assay.services.site.demo import demo_accounts_present
from assay.store.db import Db


def is_local(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_safe_to_serve(settings: Settings, db: Db, host: str | None = None) -> None:
    """Raise Invalid when a non-local server would run with the default secret or demo accounts,
    unless `allow_insecure` is set. `host`: the address being bound (default `settings.host`); pass ""
    when it is not known (an app factory run by someone else's server), which counts as non-local."""
    host = settings.host if host is None else host
    if is_local(host) or settings.allow_insecure:
        return
    problems = []
    if settings.secret_key == DEFAULT_SECRET:
        problems.append("the default secret key (set ASSAY_SECRET_KEY)")
    if demo_accounts_present(db):
        problems.append("demo accounts with published passwords (change or deactivate them)")
    if problems:
        where = host or "an address not given in ASSAY_HOST (set ASSAY_HOST=127.0.0.1 for a local server)"
        raise Invalid(f"refusing to listen on {where} with " + " and ".join(problems) +
                      "; fix that, or set ASSAY_ALLOW_INSECURE=true for a throwaway server")
