"""Finding 5 of issue 18: no request-size limit — an anonymous 200 MB POST to a records route was read and
parsed before its 401 (server memory 634 -> 880 MB), an authenticated 200 MB import peaked near 1 GB.

Now `assay.web.body_limit.BodyLimit` answers before the body is read: 401 for a caller without credentials
(or with a bad token when the body may be big), 413 over the route family's limit (by Content-Length, or by
counting a chunked body). The memory test runs a real uvicorn process and reads its RSS from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assay.web.factory import settings_env
from tests.security.conftest import as_role
from tests.security.world import World, settings_for
from tests.web.conftest import free_port

MB = 1024 * 1024


def _chunks(total: int, size: int = MB) -> Iterator[bytes]:
    block = b"[" + b" " * (size - 1)
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def test_anonymous_write_is_refused_before_the_body(client: TestClient, world: World) -> None:
    r = client.post(f"/api/v1/projects/{world.project_id}/records", content=_chunks(20 * MB))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_a_body_over_the_limit_is_refused_by_its_length(client: TestClient, world: World) -> None:
    c = as_role(client, world, "lead")
    r = c.put(f"/api/v1/projects/{world.project_id}/records/{world.free_record}/draft",
              content=b"{" + b" " * (3 * MB), headers={"X-CSRF-Token": world.csrf["lead"],
                                                     "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert "content-security-policy" in r.headers  # answered inside SecurityHeaders


def test_a_chunked_body_is_counted_and_cut_at_the_limit(client: TestClient, world: World) -> None:
    token = world.write_tokens["lead"]
    r = client.post(f"/api/v1/projects/{world.project_id}/records", content=_chunks(80 * MB),
                    headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
    assert r.status_code == 413 and "larger than this route accepts" in r.json()["error"]["message"]


def test_a_bad_token_with_a_big_body_gets_401_before_the_body(client: TestClient, world: World) -> None:
    r = client.post(f"/api/v1/projects/{world.project_id}/records", content=_chunks(20 * MB),
                    headers={"Authorization": "Bearer assay_not-a-token", "content-type": "application/json"})
    assert r.status_code == 401


def test_small_writes_and_sign_in_still_work(client: TestClient, world: World) -> None:
    r = client.post(f"/api/v1/projects/{world.project_id}/records", json=[],
                    headers={"Authorization": f"Bearer {world.write_tokens['lead']}"})
    assert r.status_code == 422  # reached the route (an empty import is refused there)
    login = client.get("/login")
    r = client.post("/login", data={"username": "ann1", "password": "wrong-pass-1",
                                    "csrf_token": login.cookies.get("assay_login_csrf")})
    assert r.status_code == 401
    r = client.post("/login", content=b"x" * (MB), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413  # the anonymous forms take at most 64 KiB


def _rss(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def _post_raw(port: int, path: str, total: int, headers: dict[str, str]) -> bytes:
    """POST `total` bytes (Content-Length sent) over a raw socket, stopping as soon as the server answers
    or closes; returns what the server said."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {total}\r\n" + \
        "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode())
        s.setblocking(False)
        block, sent, answer = b" " * (256 * 1024), 0, b""
        while sent < total:
            try:
                answer += s.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            try:
                sent += s.send(block[: total - sent])
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                break
        s.setblocking(True)
        s.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                more = s.recv(65536)
                if not more:
                    break
                answer += more
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


@pytest.mark.slow
def test_a_200_mb_body_barely_moves_a_real_servers_memory(world: World) -> None:
    settings = settings_for(world.path).model_copy(update={"max_import_bytes": 8 * MB})
    port = free_port()
    env = {**os.environ, **settings_env(settings), "ASSAY_HOST": "127.0.0.1", "ASSAY_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "assay.web.factory:create_app_from_env",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        path = f"/api/v1/projects/{world.project_id}/records"
        warm = _post_raw(port, path, 10, {"Content-Type": "application/json"})
        assert warm.startswith(b"HTTP/1.1 401")
        before = _rss(server.pid)
        anon = _post_raw(port, path, 200 * MB, {"Content-Type": "application/json"})
        assert anon.startswith(b"HTTP/1.1 401"), anon[:200]
        signed_in = _post_raw(port, path, 200 * MB, {"Content-Type": "application/json",
                                                     "Authorization": f"Bearer {world.write_tokens['lead']}"})
        assert signed_in.startswith(b"HTTP/1.1 413"), signed_in[:200]
        growth = _rss(server.pid, "VmHWM") - before  # the peak resident size since the start
        print(f"server RSS before {before / MB:.1f} MB, peak growth {growth / MB:.1f} MB")
        assert growth < 50 * MB, f"server memory grew by {growth / MB:.1f} MB"
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=20)
