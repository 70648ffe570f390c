"""Model endpoints for authoring projects (name, base URL, model, sampling, key), and who owns them.

Owners: a site-wide endpoint (`project_id` None) is made and changed by admins only; a per-project endpoint
by admins and that project's leads. Leads see the site-wide endpoints (to pick them) and those of the
projects they lead; any other endpoint is NotFound to them, as if it did not exist.

The key is bound to the URL it was entered for (`key_base_url`): changing an endpoint's base URL without
entering the key again is refused (Invalid), and `client_for` refuses to send a key to any other URL.
Outbound calls go only where `Settings.outbound_allowed_hosts` allows (`assay.llm.outbound`): the host is
checked when an endpoint is saved, and every resolved address when a call connects.

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

from assay.config import Settings
from assay.domain.users import Role, User
from assay.errors import AssayError, Conflict, Forbidden, Invalid, NotFound, Unavailable
from assay.llm import ChatClient, EndpointConfig, OutboundPolicy, RetryPolicy
from assay.services.accounts.audit import record_event
from assay.store.db import Db, Tx
from assay.store.queries import endpoints as endpoints_q
from assay.store.queries import memberships as members_q
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
    project_id: int | None = None

    @property
    def temperature(self) -> float | None:
        t = self.sampling.get("temperature", 0.7)
        return None if t is None else float(t)


def manage_endpoints(user: User) -> None:
    """Policy: only admins and leads configure model endpoints."""
    if user.role not in (Role.admin, Role.lead):
        raise Forbidden("only admins and leads may configure model endpoints")


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """The server's outbound allow-list (`Settings.outbound_allowed_hosts`)."""
    return OutboundPolicy(settings.outbound_hosts)


def _may_see(s: Tx, actor: User, project_id: int | None) -> bool:
    if actor.is_admin or project_id is None:
        return True
    return members_q.role_of(s, project_id, actor.id) == "lead"


def _may_change(s: Tx, actor: User, project_id: int | None) -> bool:
    if actor.is_admin:
        return True
    return project_id is not None and members_q.role_of(s, project_id, actor.id) == "lead"


def _owned(s: Tx, actor: User, endpoint_id: int) -> ModelEndpointRow:
    """The endpoint if `actor` may change it. NotFound when they may not even see it; Forbidden for a
    site-wide endpoint a lead sees but only admins change."""
    row = endpoints_q.get(s, endpoint_id)
    if row is None or not _may_see(s, actor, row.project_id):
        raise NotFound(f"no model endpoint with id {endpoint_id}")
    if not _may_change(s, actor, row.project_id):
        raise Forbidden(f"the model endpoint {row.name!r} is site-wide: only an admin may change, check or "
                        "delete it; a lead adds an endpoint of their own project instead")
    return row


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
                         sampling=dict(row.sampling or {}), has_key=bool(row.key_encrypted),
                         project_id=row.project_id)


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
                  endpoint_id: int | None = None, project_id: int | None = None) -> ModelEndpoint:
    """Create an endpoint (no `endpoint_id`) or update one. `api_key=None` keeps the stored key, '' removes
    it. `project_id` (on create) makes it the project's endpoint; without it the endpoint is site-wide
    (admins only). On update `project_id` must be None or the endpoint's own (an endpoint never moves).

    Raises Forbidden for non-leads, for a site-wide endpoint or a project the actor does not lead;
    NotFound for an unknown id or one the actor may not see; Invalid for a bad URL/model/sampling value,
    a host the outbound allow-list refuses, or a changed base URL without the key entered again;
    Conflict on a taken name."""
    manage_endpoints(actor)
    name = (name or "").strip()
    if not name:
        raise Invalid("an endpoint needs a name", details={"field": "name"})
    clean = _clean_sampling(sampling)
    cfg = _config(name, base_url, (model or "").strip(), clean)  # validates everything but the key
    _check_host(db.settings, cfg.base_url)
    with db.write() as s:
        if endpoint_id is None:
            if not _may_change(s, actor, project_id):
                if project_id is None:
                    raise Forbidden("only an admin may add a site-wide model endpoint; a lead adds one to a "
                                    "project they lead (choose the project)")
                raise Forbidden("only the project's lead or an admin may add a model endpoint to it")
            if project_id is not None and endpoints_q.project_name(s, project_id) is None:
                raise NotFound(f"no project with id {project_id}")
        else:
            row = _owned(s, actor, endpoint_id)
            if project_id is not None and project_id != row.project_id:
                raise Invalid("an endpoint cannot move to another project; add a new one there",
                              details={"field": "project_id"})
        clash = endpoints_q.id_of_name(s, name)
        if clash is not None and clash != endpoint_id:
            raise Conflict(f"an endpoint named {name!r} exists; choose another name or edit it")
        if endpoint_id is None:
            row = endpoints_q.add(s, name=name, base_url=cfg.base_url, model=cfg.model, sampling=clean,
                                  key_encrypted=encrypt_key(db.settings.secret_key, api_key or ""),
                                  key_base_url=cfg.base_url if api_key else "", project_id=project_id,
                                  created_by=actor.id)
        else:
            fields: dict[str, Any] = {"name": name, "base_url": cfg.base_url, "model": cfg.model, "sampling": clean,
                                      "updated_at": datetime.now(UTC)}
            if api_key is not None:
                fields["key_encrypted"] = encrypt_key(db.settings.secret_key, api_key)
                fields["key_base_url"] = cfg.base_url if api_key else ""
            elif row.key_encrypted and row.key_base_url != cfg.base_url:
                raise Invalid("the base URL changed: enter the API key again (a stored key is only ever sent "
                              f"to the URL it was entered for, {row.key_base_url}), or remove the key",
                              details={"field": "api_key"})
            endpoints_q.update(s, row, **fields)
        record_event(s, actor.id, "endpoint.save", name, base_url=cfg.base_url, model=cfg.model,
                     key_changed=api_key is not None, project_id=project_id if endpoint_id is None else row.project_id)
        return _view(row)


def _check_host(settings: Settings, base_url: str) -> None:
    """Invalid (not Forbidden: the form is what is wrong) for a host the allow-list does not name."""
    from urllib.parse import urlsplit

    try:
        outbound_policy(settings).check_host(urlsplit(base_url).hostname or "")
    except Forbidden as e:
        raise Invalid(e.message, details={"field": "base_url"}) from None


def list_endpoints(db: Db, actor: User, *, project_id: int | None = None) -> list[ModelEndpoint]:
    """The endpoints `actor` may see, by name (no keys): admins every one; leads the site-wide ones and
    those of projects they lead. With `project_id`: only those usable in that project (site-wide ones and
    the project's own)."""
    with db.read() as s:
        return list_in(s, actor, project_id=project_id)


def list_in(s: Tx, actor: User, *, project_id: int | None = None) -> list[ModelEndpoint]:
    """`list_endpoints` inside the caller's transaction."""
    rows = [r for r in endpoints_q.all_by_name(s) if _may_see(s, actor, r.project_id)]
    if project_id is not None:
        rows = [r for r in rows if r.project_id in (None, project_id)]
    return [_view(r) for r in rows]


def owner_choices(db: Db, actor: User) -> list[tuple[int, str]]:
    """(id, name) of the projects `actor` may add an endpoint to: every project for admins, else those
    they lead."""
    with db.read() as s:
        return endpoints_q.projects_led_by(s, None if actor.is_admin else actor.id)


def get_endpoint(db: Db, endpoint_id: int, actor: User | None = None) -> ModelEndpoint:
    """One endpoint; NotFound for an unknown id or (with `actor`) one the actor may not see."""
    with db.read() as s:
        row = endpoints_q.get(s, endpoint_id)
        if row is None or (actor is not None and not _may_see(s, actor, row.project_id)):
            raise NotFound(f"no model endpoint with id {endpoint_id}")
        return _view(row)


def find_endpoint(db: Db, name_or_id: str | int) -> ModelEndpoint:
    """By name, or by numeric id (no permission check: for trusted callers, demos and tests)."""
    with db.read() as s:
        row = endpoints_q.by_name_or_id(s, str(name_or_id))
        if row is None:
            raise NotFound(f"no model endpoint named {name_or_id!r}; a lead adds it on the endpoints page")
        return _view(row)


def usable_in(s: Tx, name_or_id: str, project_id: int) -> ModelEndpointRow | None:
    """The endpoint named `name_or_id` if a project may use it (site-wide, or the project's own)."""
    row = endpoints_q.by_name_or_id(s, name_or_id)
    if row is None or row.project_id not in (None, project_id):
        return None
    return row


def delete_endpoint(db: Db, actor: User, endpoint_id: int) -> None:
    """Delete an endpoint the actor may change (see `save_endpoint` for who)."""
    manage_endpoints(actor)
    with db.write() as s:
        row = _owned(s, actor, endpoint_id)
        record_event(s, actor.id, "endpoint.delete", row.name)
        endpoints_q.delete(s, row)


def owned_endpoint(db: Db, actor: User, endpoint_id: int) -> ModelEndpoint:
    """The endpoint if `actor` may change it (NotFound if they may not see it, Forbidden if only see)."""
    manage_endpoints(actor)
    with db.read() as s:
        return _view(_owned(s, actor, endpoint_id))


@dataclass(frozen=True)
class EndpointsPage:
    """The endpoints page: the endpoints `actor` may see (`items`), the ids of those they may change
    (`editable`), the projects they may add one to (`owner_projects`: (id, name)), and the outcome of the
    action that led here (`ok` / `error`, '' when none)."""

    items: tuple[ModelEndpoint, ...]
    editable: frozenset[int]
    owner_projects: tuple[tuple[int, str], ...]
    ok: str = ""
    error: str = ""


def endpoints_page(db: Db, actor: User, *, ok: str = "", error: str = "") -> EndpointsPage:
    """The endpoints page's view in one read transaction, for admins and leads (Forbidden otherwise):
    admins change every endpoint; a lead those of the projects they lead."""
    manage_endpoints(actor)
    with db.read() as s:
        items = list_in(s, actor)
        owners = endpoints_q.projects_led_by(s, None if actor.is_admin else actor.id)
    led = {pid for pid, _ in owners}
    editable = frozenset(e.id for e in items if actor.is_admin or e.project_id in led)
    return EndpointsPage(tuple(items), editable, tuple(owners), ok=ok, error=error)


def check_endpoint_page(db: Db, actor: User, endpoint_id: int) -> EndpointsPage:
    """The endpoints page after asking the endpoint's server which models it serves. The permission check
    (NotFound when `actor` may not see the endpoint, Forbidden when they may see but not change it) raises
    before anything connects; what the server answered, a refused host or a key entered for another URL
    comes back as the page's `ok` / `error` message. The call runs outside any transaction."""
    manage_endpoints(actor)
    with db.read() as s:
        ep = _view(_owned(s, actor, endpoint_id))
    try:
        models = _models(db, endpoint_id)
    except AssayError as e:  # the server's answer, a refused host, a key entered for another URL
        return endpoints_page(db, actor, error=e.message)
    return endpoints_page(db, actor, ok=f"{ep.name} answers; it serves: {', '.join(models) or '(no models listed)'}")


def check_endpoint(db: Db, actor: User, endpoint_id: int) -> tuple[ModelEndpoint, list[str]]:
    """Ask the endpoint's server which models it serves (a check of URL and key), as someone who may
    change the endpoint. Returns the endpoint and the model ids; raises like `client_for`."""
    manage_endpoints(actor)
    with db.read() as s:
        view = _view(_owned(s, actor, endpoint_id))
    return view, _models(db, endpoint_id)


def _models(db: Db, endpoint_id: int) -> list[str]:
    """The model ids the endpoint's server lists (a quick call: 10 s, no retries)."""
    with client_for(db, endpoint_id, timeout=10, max_retries=0) as client:
        return client.list_models()


def client_for(db: Db, endpoint_id: int, *, timeout: float | None = None,
               max_retries: int | None = None) -> ChatClient:
    """A ChatClient for the endpoint, with its key decrypted (server-side only), limited to the outbound
    allow-list. No cache: live authoring wants fresh samples. `timeout` / `max_retries` override the
    endpoint's (a trainer waiting on a reply is better served by a quick error and a Retry button than by
    minutes of backoff). Raises Forbidden when the stored key was entered for another URL."""
    with db.read() as s:
        row = endpoints_q.get(s, endpoint_id)
        if row is None:
            raise NotFound(f"no model endpoint with id {endpoint_id}")
        sampling = dict(row.sampling or {})
        if timeout is not None:
            sampling["timeout"] = timeout
        if max_retries is not None:
            sampling["max_retries"] = min(max_retries, int(sampling.get("max_retries", 4)))
        if row.key_encrypted and row.key_base_url != row.base_url:
            raise Forbidden(f"the key of model endpoint {row.name!r} was entered for another URL and is never "
                            "sent elsewhere; enter the key again on the endpoints page")
        cfg = _config(row.name, row.base_url, row.model, sampling,
                      decrypt_key(db.settings.secret_key, row.key_encrypted))
    return ChatClient(cfg, cache_dir=None, retry=RetryPolicy(base_delay=0.2, max_delay=2.0),
                      outbound=outbound_policy(db.settings))
