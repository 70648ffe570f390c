"""Property-based fuzzing of the JSON API from its OpenAPI schema (schemathesis): no request, however odd,
may make the server fail with a 5xx, and an annotator never gets past a permission check they should fail
or sees what is not theirs.

Path parameters are not random numbers (which would only ever reach "404 no such project"): each is drawn
from the real objects of the security world (tests/security/world.py) — both projects, the records ann1
holds, ann2's records, the gold record, another project's record, real users, annotations, exports,
datasets, endpoints, authoring tasks and reports — so the handlers behind the id lookups run. Bodies and
query strings are generated from the schema.

Every case is sent first with the annotator's (ann1's) write-scoped token, then with the admin's:
- neither may get a 5xx;
- on a route the permission matrix (test_permission_matrix.RULES) does not allow annotators, ann1 gets
  403 or 404 (or 400/422 when the request is malformed), never a 2xx/3xx/409;
- no response to ann1 contains another annotator's answers, a gold answer, a review comment meant for
  someone else, another project's records, or an endpoint key; no response to the admin an endpoint key.

Bounded: ASSAY_FUZZ_EXAMPLES examples per operation (default 8); raise it locally for a deeper run, e.g.
`ASSAY_FUZZ_EXAMPLES=200 uv run pytest tests/security/test_api_fuzz.py`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_permission_matrix import FORBIDDEN_TEXT, RULES
from tests.security.world import ENDPOINT_KEY, World, copy_world, settings_for

pytestmark = pytest.mark.slow  # schemathesis over the whole API: about 40 s

EXAMPLES = int(os.environ.get("ASSAY_FUZZ_EXAMPLES", "8"))
ANNOTATOR_DENIED = {403, 404}
MALFORMED = {400, 422}


def real_ids(w: World) -> dict[str, list[Any]]:
    """Candidate values of each path parameter: ids of objects that exist. Left out on purpose: ann1
    and the admin themselves as {user_id} and their own tokens as {token_id} (an admin call that
    deactivates ann1 or revokes a token in use would make every later call a vacuous 401)."""
    u = w.user_ids
    return {
        "project_id": [w.project_id, w.other_project_id],
        "record_id": [w.lease_record, w.ann2_lease_record, w.shared_record, w.gold_record, w.free_record,
                      w.other_record],
        "user_id": [u["victim"], u["ann2"], u["out1"], u["rev1"]],
        "token_id": [w.token_ids["lead"], w.token_ids["reviewer"]],
        "invite_id": [w.invite_id],
        "token": [w.invite_token],
        "export_id": [w.export_id],
        "job_id": [w.export_job_id],
        "name": [w.export_file, w.dataset],
        "annotation_id": [w.annotation_ids["ann1"], w.annotation_ids["ann2"]],
        "batch": ["no-such-batch"],
        "ref": [f"{w.dataset}@{w.dataset_version}", w.dataset],
        "selector": [w.dataset_version, "latest"],
        "question": ["preference", "rationale"],
        "task_id": [w.task_id],
        "message_id": [1, 424242],
        "attempt_id": [1, 424242],
        "check_id": [1, 424242],
        "endpoint_id": [w.endpoint_id],
        "slot": [0, 1],
        "report_id": [w.report_id],
    }


@pytest.fixture
def fuzz_world(world_template: World, tmp_path: Path) -> Iterator[tuple[object, World]]:
    from assay.store.db import open_db
    from assay.web.app import create_app

    w = copy_world(world_template, tmp_path / "w")
    db = open_db(settings_for(w.path), migrate=False)
    yield create_app(settings_for(w.path), db), w
    db.close()


def _annotator_may(method: str, path: str) -> bool | None:
    """Whether the permission matrix lets annotators call the route; None when it has no rule for it."""
    rule = RULES.get(f"{method} {path}")
    return None if rule is None else "annotator" in rule.allow


def _call(case: Any, token: str, where: str) -> Any:
    """Send the case; an exception escaping the app (a 500 in production) fails with the request."""
    try:
        return case.call(headers={"Authorization": f"Bearer {token}"})
    except Exception as e:  # any exception escaping the app is the finding
        raise AssertionError(f"{where} raised {type(e).__name__}: {str(e)[:200]} "
                             f"(query {case.query!r}, body {str(case.body)[:200]})") from e


def fuzz(schema: Any, w: World) -> tuple[list[str], Counter[str], int]:
    """Every operation of `schema` (in-process or a live server's), `EXAMPLES` cases each, sent as ann1 and
    as the admin with the checks of the module doc. Returns (failures, status counts, operations)."""
    ids = real_ids(w)
    ann, admin = w.write_tokens["annotator"], w.write_tokens["admin"]
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    n_ops = 0
    for result in schema.get_all_operations():
        op = result.ok()
        n_ops += 1
        names = [p.name for p in op.path_parameters]
        unknown = [n for n in names if n not in ids]
        if unknown:
            failures.append(f"{op.method.upper()} {op.path}: no real ids for {unknown}; add them to real_ids()")
            continue
        may = _annotator_may(op.method.upper(), op.path)
        if may is None:
            failures.append(f"{op.method.upper()} {op.path} is not in the permission matrix "
                            "(test_permission_matrix.RULES): add a rule there")
            continue
        chosen = st.fixed_dictionaries({n: st.sampled_from(ids[n]) for n in names})

        @given(case=op.as_strategy(), params=chosen, may=st.just(may))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case, params: dict[str, Any], may: bool) -> None:  # type: ignore[no-untyped-def]
            if params:
                case.path_parameters = {**(case.path_parameters or {}), **params}
            where = f"{case.method} {case.formatted_path}"
            r = _call(case, ann, where)
            statuses[f"annotator {r.status_code // 100}xx" if r.status_code != 404 else "annotator 404"] += 1
            assert r.status_code < 500, f"{where} as annotator -> {r.status_code}: {r.text[:300]}"
            if not may:
                assert r.status_code in ANNOTATOR_DENIED | MALFORMED, (
                    f"{where} as annotator -> {r.status_code} (a route annotators may not call): {r.text[:300]}")
            for secret in (*FORBIDDEN_TEXT["annotator"], ENDPOINT_KEY):
                assert secret not in r.text, f"{where} as annotator leaks {secret}"
            r = _call(case, admin, where)
            statuses[f"admin {r.status_code // 100}xx" if r.status_code != 404 else "admin 404"] += 1
            assert r.status_code < 500, (f"{where} as admin -> {r.status_code}: {r.text[:300]}\n"
                                         f"reproduce: {case.as_curl_command()}")
            assert ENDPOINT_KEY not in r.text, f"{where} as admin leaks the endpoint key"

        try:
            run()
        except (AssertionError, ExceptionGroup) as e:
            found = e.exceptions if isinstance(e, ExceptionGroup) else (e,)
            failures.extend(str(x).splitlines()[0] if str(x) else repr(x) for x in found)
    return failures, statuses, n_ops


def test_no_server_errors_and_no_annotator_gets_through(fuzz_world: tuple[object, World]) -> None:
    app, w = fuzz_world
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures, statuses, n_ops = fuzz(schema, w)
    assert n_ops >= 20, f"only {n_ops} operations found in the schema"
    assert not failures, "failures:\n" + "\n".join(failures)
    # the fuzzing reached the handlers: most admin calls were not a 404 for a missing object, and the
    # annotator's own work (their lease, their annotations) was served to them
    admin_total = sum(v for k, v in statuses.items() if k.startswith("admin"))
    assert statuses["admin 404"] < admin_total / 3, dict(statuses)
    assert statuses["annotator 2xx"] > 0, dict(statuses)
    # ann1's token still works: the annotator checks above were not vacuous 401s
    from fastapi.testclient import TestClient

    me = TestClient(app).get("/api/v1/me", headers={"Authorization": f"Bearer {w.write_tokens['annotator']}"})  # type: ignore[arg-type]
    assert me.status_code == 200 and me.json()["username"] == "ann1"
