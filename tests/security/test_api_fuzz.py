"""Property-based fuzzing of the JSON API from its OpenAPI schema (schemathesis): no request, however odd,
may make the server fail with a 5xx. Runs as an admin (write token) so every handler is reached, and as an
annotator (read token) for the refusal paths. Bounded: ASSAY_FUZZ_EXAMPLES examples per operation
(default 8); raise it locally for a deeper run, e.g. `ASSAY_FUZZ_EXAMPLES=200 uv run pytest
tests/security/test_api_fuzz.py`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.security.world import World, copy_world, settings_for

EXAMPLES = int(os.environ.get("ASSAY_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def fuzz_world(world_template: World, tmp_path: Path) -> Iterator[tuple[object, World]]:
    from assay.services.db import open_db
    from assay.web.app import create_app

    w = copy_world(world_template, tmp_path / "w")
    db = open_db(settings_for(w.path), migrate=False)
    yield create_app(settings_for(w.path), db), w
    db.close()


def test_no_server_errors(fuzz_world: tuple[object, World]) -> None:
    app, w = fuzz_world
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    tokens = (w.write_tokens["admin"], w.read_tokens["annotator"])
    failures: list[str] = []
    n_ops = 0
    for result in schema.get_all_operations():
        op = result.ok()
        n_ops += 1

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            for token in tokens:
                resp = case.call(headers={"Authorization": f"Bearer {token}"})
                assert resp.status_code < 500, (f"{case.method} {case.formatted_path} -> {resp.status_code}: "
                                                f"{resp.text[:300]}\nreproduce: {case.as_curl_command()}")

        try:
            run()
        except AssertionError as e:
            failures.append(str(e).splitlines()[0] if str(e) else repr(e))
    assert n_ops >= 20, f"only {n_ops} operations found in the schema"
    assert not failures, "server errors:\n" + "\n".join(failures)
