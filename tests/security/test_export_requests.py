"""Issue 18, finding 2: exports could be written to any directory.

The attack: `POST /api/v1/projects/P/exports` (and `/authoring/export`) passed `**body.options` into
`export_project(out_dir=...)`, so a lead of P wrote over project Q's `train.jsonl` and `README.md`, which Q's
lead then downloaded. Now a request names only the format, the file format and whitelisted options; anything
else (a path, `actor`, `out_dir`, at the top level or among the options) is refused with a JSON 422 before
anything is written, and files go only into a new folder the server names inside the project's own folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.security.world import World, settings_for

BAD_OPTIONS = [
    {"out_dir": "{target}"},
    {"actor": None},
    {"path": "{target}"},
    {"out_dir": "{target}", "test_fraction": 0.5},
    {"file_format": "jsonl", "out_dir": "{target}"},
    {"created": "2020-01-01"},
]


def _tree(root: Path) -> dict[str, str]:
    """Every file under `root` with the hash of its content."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _lead(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.write_tokens['lead']}"}


@pytest.mark.parametrize("route", ["exports", "authoring/export"])
@pytest.mark.parametrize("options", BAD_OPTIONS)
def test_path_and_actor_options_are_refused_with_422(client: TestClient, world: World, tmp_path: Path,
                                                     route: str, options: dict[str, object]) -> None:
    target = tmp_path / "elsewhere"
    opts = {k: (str(target) if v == "{target}" else v) for k, v in options.items()}
    exports_root = settings_for(world.path).exports_dir
    before = _tree(exports_root)
    for body in ({"format": "raw", "options": opts}, {"format": "raw", **opts}):
        r = client.post(f"/api/v1/projects/{world.project_id}/{route}", json=body, headers=_lead(world))
        assert r.status_code == 422, (body, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/json"), r.text[:200]
        assert r.json()["error"]["code"] == "invalid"
    assert not target.exists()
    assert _tree(exports_root) == before  # nothing written anywhere


def test_a_lead_of_p_cannot_overwrite_project_q_files(client: TestClient, world: World) -> None:
    """Q's lead (here the admin) exports Q; P's lead aims P's export at Q's folder by every route: refused,
    and Q's files are byte for byte what Q's lead rendered. P's own export goes into a new folder of P."""
    admin = {"Authorization": f"Bearer {world.write_tokens['admin']}"}
    q = world.other_project_id
    made = client.post(f"/api/v1/projects/{q}/exports", json={"format": "raw"}, headers=admin)
    assert made.status_code == 201, made.text
    exports_root = settings_for(world.path).exports_dir
    q_folder = exports_root / "proj-q" / made.json()["id"]
    q_before = _tree(exports_root / "proj-q")
    assert (q_folder / "train.jsonl").is_file()
    for route in ("exports", "authoring/export"):
        for opts in ({"out_dir": str(q_folder)}, {"out_dir": str(exports_root / "proj-p" / ".." / "proj-q" / q_folder.name)}):
            r = client.post(f"/api/v1/projects/{world.project_id}/{route}", json={"format": "raw", "options": opts},
                            headers=_lead(world))
            assert r.status_code == 422, r.text
        # nor may P's lead export Q at all
        r = client.post(f"/api/v1/projects/{q}/{route}", json={"format": "raw"}, headers=_lead(world))
        assert r.status_code == 404, r.text
    assert _tree(exports_root / "proj-q") == q_before
    mine = client.post(f"/api/v1/projects/{world.project_id}/exports", json={"format": "raw"}, headers=_lead(world))
    assert mine.status_code == 201, mine.text
    assert (exports_root / "proj-p" / mine.json()["id"] / "train.jsonl").is_file()
    assert _tree(exports_root / "proj-q") == q_before


def test_whitelisted_options_still_work(client: TestClient, world: World) -> None:
    r = client.post(f"/api/v1/projects/{world.project_id}/exports",
                    json={"format": "raw", "options": {"test_fraction": 0.5, "split_salt": "s", "include_record": False}},
                    headers=_lead(world))
    assert r.status_code == 201, r.text
    # an option the format does not take is named in a JSON 422
    r = client.post(f"/api/v1/projects/{world.project_id}/exports",
                    json={"format": "raw", "options": {"min_agreement": 0.5}}, headers=_lead(world))
    assert r.status_code == 422 and "min_agreement" in r.json()["error"]["message"]
