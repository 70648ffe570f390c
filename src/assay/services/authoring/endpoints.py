"""Model endpoints a lead configures for authoring projects (name, base URL, model, sampling, key).

The API key is stored encrypted (Fernet, with a key derived from `Settings.secret_key` by HKDF-SHA256) and
is only ever decrypted inside `client_for`, which builds the `ChatClient` that talks to the server. The
public view, `ModelEndpoint`, carries `has_key` and never the key; audit entries never include it.
Changing `secret_key` makes stored keys unreadable: `client_for` then raises Unavailable asking the lead to
enter the key again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from assay.domain.users import Role, User
from assay.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from assay.llm import ChatClient, EndpointConfig, RetryPolicy
from assay.services.accounts.audit import record_event
from assay.store.db import Db
from assay.store.queries import endpoints as endpoints_q
from assay.store.tables_authoring import ModelEndpointRow

SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "timeout", "max_retries", "extra")


@dataclass(frozen=True)
class ModelEndpoint:
    """An endpoint as anyone may see it: no key, only whether one is set."""

    id: int
    name: str
    base_url: str
    model: str
    sampling: dict[str, Any] = field(default_factory=dict)
    has_key: bool = False

    @property
    def temperature(self) -> float | None:
        t = self.sampling.get("temperature", 0.7)
        return None if t is None else float(t)


def manage_endpoints(user: User) -> None:
    """Policy: only admins and leads configure model endpoints."""
    if user.role not in (Role.admin, Role.lead):
        raise Forbidden("only admins and leads may configure model endpoints")


def _fernet(secret_key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"assay-model-endpoint-keys",
               info=b"fernet").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt_key(secret_key: str, api_key: str) -> str:
    """The API key encrypted for storage ('' stays '')."""
    return _fernet(secret_key).encrypt(api_key.encode()).decode() if api_key else ""


def decrypt_key(secret_key: str, token: str) -> str:
    """The stored key in clear; raises Unavailable when `secret_key` changed since it was stored."""
    if not token:
        return ""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise Unavailable("the stored key of this model endpoint cannot be read (the server's secret_key "
                          "changed); a lead must enter the key again on the endpoints page") from None


def _view(row: ModelEndpointRow) -> ModelEndpoint:
    return ModelEndpoint(id=row.id, name=row.name, base_url=row.base_url, model=row.model,
                         sampling=dict(row.sampling or {}), has_key=bool(row.key_encrypted))


def _config(name: str, base_url: str, model: str, sampling: dict[str, Any], api_key: str = "") -> EndpointConfig:
    unknown = sorted(set(sampling) - set(SAMPLING_FIELDS))
    if unknown:
        raise Invalid(f"unknown sampling setting(s) {', '.join(unknown)}; known: {', '.join(SAMPLING_FIELDS)}")
    return EndpointConfig(name=name, base_url=base_url, model=model, api_key=api_key, **sampling)


def _clean_sampling(sampling: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (sampling or {}).items():
        if v in ("", None):
            continue
        if k in ("temperature", "top_p", "timeout"):
            try:
                out[k] = float(v)
            except (TypeError, ValueError):
                raise Invalid(f"{k} must be a number, got {v!r}", details={"field": k}) from None
        elif k in ("max_tokens", "max_retries"):
            try:
                out[k] = int(v)
            except (TypeError, ValueError):
                raise Invalid(f"{k} must be a whole number, got {v!r}", details={"field": k}) from None
        else:
            out[k] = v
    return out


def save_endpoint(db: Db, actor: User, *, name: str, base_url: str, model: str,
                  sampling: dict[str, Any] | None = None, api_key: str | None = None,
                  endpoint_id: int | None = None) -> ModelEndpoint:
    """Create an endpoint (no `endpoint_id`) or update one. `api_key=None` keeps the stored key, '' removes
    it. Raises Forbidden for non-leads, Invalid for a bad URL/model/sampling value, Conflict on a taken
    name, NotFound for an unknown id."""
    manage_endpoints(actor)
    name = (name or "").strip()
    if not name:
        raise Invalid("an endpoint needs a name", details={"field": "name"})
    clean = _clean_sampling(sampling)
    cfg = _config(name, base_url, (model or "").strip(), clean)  # validates everything but the key
    with db.write() as s:
        clash = endpoints_q.id_of_name(s, name)
        if clash is not None and clash != endpoint_id:
            raise Conflict(f"an endpoint named {name!r} exists; choose another name or edit it")
        if endpoint_id is None:
            row = endpoints_q.add(s, name=name, base_url=cfg.base_url, model=cfg.model, sampling=clean,
                                  key_encrypted=encrypt_key(db.settings.secret_key, api_key or ""),
                                  created_by=actor.id)
        else:
            found = endpoints_q.get(s, endpoint_id)
            if found is None:
                raise NotFound(f"no model endpoint with id {endpoint_id}")
            row = found
            fields: dict[str, Any] = {"name": name, "base_url": cfg.base_url, "model": cfg.model, "sampling": clean,
                                      "updated_at": datetime.now(UTC)}
            if api_key is not None:
                fields["key_encrypted"] = encrypt_key(db.settings.secret_key, api_key)
            endpoints_q.update(s, row, **fields)
        record_event(s, actor.id, "endpoint.save", name, base_url=cfg.base_url, model=cfg.model,
                     key_changed=api_key is not None)
        return _view(row)


def list_endpoints(db: Db) -> list[ModelEndpoint]:
    """Every configured endpoint, by name (no keys)."""
    with db.read() as s:
        return [_view(r) for r in endpoints_q.all_by_name(s)]


def get_endpoint(db: Db, endpoint_id: int) -> ModelEndpoint:
    with db.read() as s:
        row = endpoints_q.get(s, endpoint_id)
        if row is None:
            raise NotFound(f"no model endpoint with id {endpoint_id}")
        return _view(row)


def find_endpoint(db: Db, name_or_id: str | int) -> ModelEndpoint:
    """By name, or by numeric id."""
    with db.read() as s:
        row = endpoints_q.by_name_or_id(s, str(name_or_id))
        if row is None:
            raise NotFound(f"no model endpoint named {name_or_id!r}; a lead adds it on the endpoints page")
        return _view(row)


def delete_endpoint(db: Db, actor: User, endpoint_id: int) -> None:
    manage_endpoints(actor)
    with db.write() as s:
        row = endpoints_q.get(s, endpoint_id)
        if row is None:
            raise NotFound(f"no model endpoint with id {endpoint_id}")
        record_event(s, actor.id, "endpoint.delete", row.name)
        endpoints_q.delete(s, row)


def client_for(db: Db, endpoint_id: int, *, timeout: float | None = None,
               max_retries: int | None = None) -> ChatClient:
    """A ChatClient for the endpoint, with its key decrypted (server-side only). No cache: live authoring
    wants fresh samples. `timeout` / `max_retries` override the endpoint's (a trainer waiting on a reply
    is better served by a quick error and a Retry button than by minutes of backoff)."""
    with db.read() as s:
        row = endpoints_q.get(s, endpoint_id)
        if row is None:
            raise NotFound(f"no model endpoint with id {endpoint_id}")
        sampling = dict(row.sampling or {})
        if timeout is not None:
            sampling["timeout"] = timeout
        if max_retries is not None:
            sampling["max_retries"] = min(max_retries, int(sampling.get("max_retries", 4)))
        cfg = _config(row.name, row.base_url, row.model, sampling,
                      decrypt_key(db.settings.secret_key, row.key_encrypted))
    return ChatClient(cfg, cache_dir=None, retry=RetryPolicy(base_delay=0.2, max_delay=2.0))
