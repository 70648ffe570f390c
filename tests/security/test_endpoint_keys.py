"""Issue 18, finding 1: model-endpoint keys could be stolen and used for SSRF.

The attack: a site lead edited an admin's endpoint (no owner check), left `api_key` out (the stored key
stayed) and pointed `base_url` at their own host; "check" then sent the admin's key there. Now endpoints have
owners, a stored key is only ever sent to the URL it was entered for, and outbound calls go only to hosts an
admin allowed (loopback and private ranges only when listed). A `Catcher` (a bare TCP listener on loopback)
stands for the attacker's host: it counts connections and keeps what arrived, so "refused before connecting"
is measured, not assumed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from assay.domain.projects import ProjectSpec
from assay.errors import Forbidden
from assay.llm import ChatClient, EndpointConfig, OutboundPolicy
from assay.llm.fake_server import FakeLLMServer
from assay.llm.outbound import GuardedBackend

PASSWORD = "correct-horse-battery"
ADMIN_KEY = "sk-ADMIN-ENDPOINT-KEY-4471"
LEAD_A_KEY = "sk-LEAD-A-ENDPOINT-KEY-9920"


@dataclass
class Catcher:
    """A TCP listener on 127.0.0.1 that accepts connections and records the first bytes of each."""

    sock: socket.socket
    received: list[bytes] = field(default_factory=list)
    accepted: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def count(self, expected: int = 0, seconds: float = 3.0) -> int:
        """Connections accepted so far, after giving the accepting thread time to reach `expected` (a
        connection completes in the kernel before the thread's accept() returns)."""
        deadline = time.monotonic() + seconds
        while self.accepted < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # and a moment for any connection that should not have happened
        return self.accepted

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                pass
            conn.close()


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    c = Catcher(sock)
    t = threading.Thread(target=c.serve, daemon=True)
    t.start()
    yield c
    sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close alone does not, on Linux)
    sock.close()
    t.join(timeout=5)


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as srv:
        yield srv


@dataclass
class Site:
    admin: TestClient
    lead_a: TestClient
    lead_b: TestClient
    project_a: int
    project_b: int


def _spec(name: str) -> ProjectSpec:
    return ProjectSpec.from_dict({"name": name, "questions": [{"name": "q", "kind": "pairwise", "title": "Better?"}]})


@pytest.fixture
def site(db) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    """An admin and two site leads, each the lead of their own project, with API tokens."""
    from assay.services.accounts import auth, users
    from assay.services.projects import projects
    from assay.web.app import create_app

    admin = users.add_user(db, "admin", PASSWORD, "admin")
    lead_a = users.add_user(db, "lead-a", PASSWORD, "lead")
    lead_b = users.add_user(db, "lead-b", PASSWORD, "lead")
    pa = projects.create_project(db, _spec("proj-a"), lead_a)
    pb = projects.create_project(db, _spec("proj-b"), lead_b)
    app = create_app(db.settings, db)

    def client(user_id: int) -> TestClient:
        token = auth.create_api_token(db, user_id, "t")[0]
        return TestClient(app, headers={"Authorization": f"Bearer {token}"})

    yield Site(admin=client(admin.id), lead_a=client(lead_a.id), lead_b=client(lead_b.id), project_a=pa.id,
               project_b=pb.id)


def _endpoint(name: str, url: str, key: str | None = None, project_id: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {"name": name, "base_url": url, "model": "fake-model"}
    if key is not None:
        body["api_key"] = key
    if project_id is not None:
        body["project_id"] = project_id
    return body


@pytest.mark.slow
def test_lead_b_cannot_see_or_edit_the_admins_or_lead_as_endpoint(site: Site, fake: FakeLLMServer,
                                                                   catcher: Catcher) -> None:
    r = site.admin.post("/api/v1/authoring/endpoints", json=_endpoint("site-model", fake.base_url, ADMIN_KEY))
    assert r.status_code == 201, r.text
    admin_ep = r.json()["id"]
    r = site.lead_a.post("/api/v1/authoring/endpoints",
                         json=_endpoint("a-model", fake.base_url, LEAD_A_KEY, site.project_a))
    assert r.status_code == 201, r.text
    a_ep = r.json()["id"]

    # lead B sees the site-wide endpoint (to pick it), never lead A's
    seen = {e["name"] for e in site.lead_b.get("/api/v1/authoring/endpoints").json()}
    assert "a-model" not in seen and "site-model" in seen
    assert "a-model" in {e["name"] for e in site.lead_a.get("/api/v1/authoring/endpoints").json()}

    # the attack: point someone else's endpoint at my host and keep the stored key
    for ep, expected in ((admin_ep, 403), (a_ep, 404)):
        r = site.lead_b.put(f"/api/v1/authoring/endpoints/{ep}", json=_endpoint("stolen", catcher.url))
        assert r.status_code == expected, r.text
        assert site.lead_b.delete(f"/api/v1/authoring/endpoints/{ep}").status_code == expected
    # nor may lead B add an endpoint to lead A's project, or a site-wide one
    assert site.lead_b.post("/api/v1/authoring/endpoints",
                            json=_endpoint("mine", fake.base_url, project_id=site.project_a)).status_code in (403, 404)
    assert site.lead_b.post("/api/v1/authoring/endpoints", json=_endpoint("mine", fake.base_url)).status_code == 403
    # lead B's project may not use lead A's endpoint either (it would spend A's key)
    r = site.lead_b.put(f"/api/v1/projects/{site.project_b}/authoring/settings",
                        json={"mode": "prompt", "endpoints": ["a-model"]})
    assert r.status_code == 422, r.text
    # nothing changed, nothing went out
    names = {e["name"]: e for e in site.admin.get("/api/v1/authoring/endpoints").json()}
    assert names["site-model"]["base_url"] == fake.base_url and names["a-model"]["base_url"] == fake.base_url
    assert catcher.count() == 0


def test_changing_the_base_url_needs_the_key_again(site: Site, fake: FakeLLMServer, catcher: Catcher) -> None:
    r = site.admin.post("/api/v1/authoring/endpoints", json=_endpoint("site-model", fake.base_url, ADMIN_KEY))
    ep = r.json()["id"]
    # even the owner: a new URL without the key is refused, with a clear JSON error
    r = site.admin.put(f"/api/v1/authoring/endpoints/{ep}", json=_endpoint("site-model", catcher.url))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert "enter the API key again" in r.json()["error"]["message"]
    # the same URL without the key keeps it (a sampling change), and a new URL with a new key is fine
    r = site.admin.put(f"/api/v1/authoring/endpoints/{ep}", json=_endpoint("site-model", fake.base_url))
    assert r.status_code == 200 and r.json()["has_key"] is True
    r = site.admin.put(f"/api/v1/authoring/endpoints/{ep}", json=_endpoint("site-model", catcher.url, "sk-new"))
    assert r.status_code == 200, r.text
    assert catcher.count() == 0
    assert not any(ADMIN_KEY.encode() in b for b in catcher.received)


def test_a_stored_key_is_never_sent_to_another_url(db, fake: FakeLLMServer, catcher: Catcher) -> None:  # type: ignore[no-untyped-def]
    """Defence in depth: even a row whose URL changed behind the service's back does not get its key sent."""
    from assay.services.accounts import users
    from assay.services.authoring import endpoints
    from assay.store.queries import endpoints as endpoints_q

    admin = users.add_user(db, "admin", PASSWORD, "admin")
    ep = endpoints.save_endpoint(db, admin, name="m", base_url=fake.base_url, model="fake-model", api_key=ADMIN_KEY)
    with db.write() as s:
        row = endpoints_q.get(s, ep.id)
        assert row is not None
        endpoints_q.update(s, row, base_url=catcher.url)
    with pytest.raises(Forbidden, match="entered for another URL"):
        endpoints.client_for(db, ep.id)
    assert catcher.count() == 0


def test_a_host_not_allowed_is_refused_before_connecting(db, catcher: Catcher) -> None:  # type: ignore[no-untyped-def]
    """An endpoint (saved while loopback was allowed) whose host the admin no longer allows: the check is
    refused with a message naming the setting, and the host never sees a connection."""
    from assay.services.accounts import users
    from assay.services.authoring import endpoints

    admin = users.add_user(db, "admin", PASSWORD, "admin")
    ep = endpoints.save_endpoint(db, admin, name="m", base_url=catcher.url, model="fake-model", api_key=ADMIN_KEY)
    db.settings.outbound_allowed_hosts = "api.openai.com"
    with pytest.raises(Forbidden, match="outbound_allowed_hosts"):
        endpoints.check_endpoint(db, admin, ep.id)
    with pytest.raises(Forbidden), endpoints.client_for(db, ep.id) as client:
        client.complete([{"role": "user", "content": "hi"}])
    assert catcher.count() == 0
    # and saving an endpoint on a host the list does not name is refused (422)
    from assay.errors import Invalid

    with pytest.raises(Invalid, match="not allowed"):
        endpoints.save_endpoint(db, admin, name="evil", base_url="http://attacker.example/v1", model="m")


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/v1", "http://[::1]:{port}/v1", "http://10.0.0.7/v1",
                                 "http://192.168.1.20/v1", "http://172.16.0.1/v1", "http://169.254.169.254/v1",
                                 "http://0.0.0.0:{port}/v1", "http://[::ffff:127.0.0.1]:{port}/v1"])
def test_private_and_loopback_addresses_are_refused_unless_listed(url: str, catcher: Catcher) -> None:
    url = url.format(port=catcher.port)
    anything_public = OutboundPolicy(("*",))
    with pytest.raises(Forbidden):
        anything_public.check_url(url)
    client = ChatClient(EndpointConfig(base_url=url, model="m", api_key="sk-x", max_retries=0, timeout=2),
                        outbound=anything_public)
    with pytest.raises(Forbidden):
        client.list_models()
    assert catcher.count() == 0


def test_listed_loopback_is_reachable(fake: FakeLLMServer) -> None:
    """The demo's and the tests' setting: loopback listed explicitly, and the fake server answers."""
    policy = OutboundPolicy(("127.0.0.1",))
    with ChatClient(EndpointConfig(base_url=fake.base_url, model="fake-model", max_retries=0),
                    outbound=policy) as client:
        assert client.list_models()
    with pytest.raises(Forbidden):  # a different loopback address is not listed
        OutboundPolicy(("127.0.0.1",)).check_url("http://127.0.0.2:9/v1")
    OutboundPolicy(("127.0.0.0/8",)).check_url("http://127.0.0.2:9/v1")  # a listed network
    with pytest.raises(Forbidden):  # a public address not named is refused too
        OutboundPolicy(("api.openai.com",)).check_url("http://93.184.216.34/v1")


def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_not_allowed(catcher: Catcher) -> None:
    """`localhost` is an allowed *name*, but it resolves to 127.0.0.1: refused unless that address is listed
    (a DNS name pointing at an internal address is the classic SSRF). The check runs at connect time too,
    on the address actually connected to (a DNS answer cannot change between check and connect)."""
    addrs = {info[4][0] for info in socket.getaddrinfo("localhost", catcher.port, type=socket.SOCK_STREAM)}
    assert "127.0.0.1" in addrs  # the premise
    url = f"http://localhost:{catcher.port}/v1"
    policy = OutboundPolicy(("localhost",))
    with pytest.raises(Forbidden, match="resolves to"):
        policy.check_url(url)
    with pytest.raises(Forbidden, match="resolves to"):
        GuardedBackend(policy).connect_tcp("localhost", catcher.port, timeout=2)
    client = ChatClient(EndpointConfig(base_url=url, model="m", max_retries=0, timeout=2), outbound=policy)
    with pytest.raises(Forbidden):
        client.list_models()
    assert catcher.count() == 0
    # listed explicitly, the same name connects (the connection reaches the listener)
    allowed = OutboundPolicy(("localhost", "127.0.0.1", "::1"))
    allowed.check_url(url)
    GuardedBackend(allowed).connect_tcp("localhost", catcher.port, timeout=2).close()
    assert catcher.count(1) == 1
