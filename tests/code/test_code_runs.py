"""Code runs end to end in the real sandbox: visible tests, a trainer's tests with a mutation score,
hidden tests after submit, permissions and what annotators can never see."""

from __future__ import annotations

import pytest

from assay.errors import Forbidden, Invalid, NotFound
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.code import hidden as code_hidden
from assay.services.code import runs as code_runs
from tests.code.conftest import wait_for

pytestmark = pytest.mark.sandbox

GOOD_TESTS = """\
assert has_close_elements([], 1.0) is False
assert has_close_elements([1.0, 5.0, 1.5], 0.6) is True
assert has_close_elements([1.0, 2.0], 1.0) is False
assert has_close_elements([3.0, 1.0, 3.2], 0.3) is True
"""


def _claim_close_elements(db, demo):  # type: ignore[no-untyped-def]
    task = queue.claim_next(db, demo.project.id, demo.annotator1.id)
    assert task is not None and task.record.external_id == "HumanEval/0"
    return task.record_id


def _finished(db, runner, demo, rid, user, batch):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        runs = code_runs.get_runs(db, runner, demo.project.id, rid, user, batch=batch)
        return runs if all(r.finished for r in runs) else None
    return wait_for(check)


@pytest.mark.slow
def test_visible_custom_mutation_and_hidden(db, code_demo, runner):  # type: ignore[no-untyped-def]
    demo, pid = code_demo, code_demo.project.id
    rid = _claim_close_elements(db, demo)
    me = demo.annotator1

    started = code_runs.start_runs(db, runner, pid, rid, me, "visible")
    assert [r.candidate for r in started] == [0, 1] and all(r.state in ("queued", "running", "done") for r in started)
    visible = _finished(db, runner, demo, rid, me, started[0].batch)
    assert [r.state for r in visible] == ["done", "done"]
    # both demo candidates pass the two visible asserts; the second only compares neighbours
    assert all(r.passed_all for r in visible), [r.result for r in visible]
    assert visible[0].result["total"] == 2

    custom = code_runs.start_runs(db, runner, pid, rid, me, "custom", tests=GOOD_TESTS)
    assert sorted(r.kind for r in custom) == ["custom", "custom", "mutation"]
    done = {(r.kind, r.candidate): r for r in _finished(db, runner, demo, rid, me, custom[0].batch)}
    assert done[("custom", 0)].passed_all
    assert not done[("custom", 1)].passed_all  # close pairs that are not adjacent in input order
    failed = [t for t in done[("custom", 1)].result["tests"] if t["status"] != "passed"]
    assert [t["name"] for t in failed] == ["assert_2", "assert_4"]
    mutation = done[("mutation", None)]
    assert mutation.state == "done", mutation.result
    assert mutation.result["total"] > 0 and 0 < mutation.result["killed"] <= mutation.result["total"]
    assert "survived" not in mutation.result  # annotators never see mutant descriptions (they show the reference)

    lead_view = code_runs.get_runs(db, runner, pid, rid, demo.admin, batch=custom[0].batch)
    assert any("survived" in r.result for r in lead_view if r.kind == "mutation")

    answer = {"review": {"verdicts": {"0": "correct", "1": "buggy"}, "preference": {"choice": "a", "strength": 3},
                         "tests": GOOD_TESTS, "rationale": "B only compares neighbours in input order."}}
    annotations.submit(db, pid, rid, me.id, answer, 30)
    assert code_hidden.sweep(db, runner) == 2
    assert code_hidden.sweep(db, runner) == 0  # idempotent: hidden runs exist now

    def hidden_done():  # type: ignore[no-untyped-def]
        runs = code_hidden.hidden_runs(db, pid, rid, demo.admin)
        return runs if runs and all(r.finished for r in runs) else None
    hidden = wait_for(hidden_done)
    assert hidden[0].passed_all and not hidden[1].passed_all
    outcome = code_hidden.outcomes(db, pid, demo.admin)
    rec = next(o for o in outcome if o.record_id == rid)
    assert rec.candidates[0].pass_rate == 1.0 and rec.candidates[1].pass_rate is not None
    assert rec.candidates[1].pass_rate < 1.0
    assert rec.reviews[0]["verdicts"] == {"0": "correct", "1": "buggy"}
    assert rec.reviews[0]["mutation"]["killed"] == mutation.result["killed"]

    from assay.services.projects import records
    meta = records.get_record(db, pid, rid).metadata["code_outcome"]["hidden"]
    assert meta["0"]["pass_rate"] == 1.0 and meta["1"]["pass_rate"] < 1.0

    # annotators never see hidden runs, even their own record's
    assert all(r.kind != "hidden" for r in code_runs.get_runs(db, runner, pid, rid, me))
    with pytest.raises(NotFound):
        code_hidden.hidden_runs(db, pid, rid, me)


def test_permissions_and_bad_tests(db, code_demo, runner):  # type: ignore[no-untyped-def]
    demo, pid = code_demo, code_demo.project.id
    rid = _claim_close_elements(db, demo)
    with pytest.raises(Forbidden):  # a member the record is not assigned to
        code_runs.start_runs(db, runner, pid, rid, demo.annotator2, "visible")
    with pytest.raises(Forbidden):
        code_runs.code_view(db, pid, rid, demo.annotator2)
    with pytest.raises(Invalid, match="line 1"):
        code_runs.start_runs(db, runner, pid, rid, demo.annotator1, "custom", tests="assert (")
    with pytest.raises(Invalid, match="out of range"):
        code_runs.start_runs(db, runner, pid, rid, demo.annotator1, "visible", candidate=5)
    view = code_runs.code_view(db, pid, rid, demo.annotator1)
    assert view.has_reference and view.access == "annotator"
    assert not hasattr(view, "hidden_tests") and not hasattr(view, "reference_solution")
    assert "has_close_elements" in view.candidates[0]["code"] and "```" not in view.candidates[0]["code"]
    assert len(view.visible_test_sources) == 2
    from assay.services.accounts import users
    outsider = users.add_user(db, "outsider", "password123")
    with pytest.raises(NotFound):
        code_runs.code_view(db, pid, rid, outsider)


def test_trainer_test_styles():  # type: ignore[no-untyped-def]
    from assay.services.code.execution import split_trainer_tests

    parts, style, _ = split_trainer_tests("assert f(1) == 2\nassert f(2) == 3\n", "f")
    assert style == "assert" and [t.name for t in parts.tests] == ["assert_1", "assert_2"]
    parts, style, _ = split_trainer_tests("assert f(1) == 2\ndef test_x():\n    assert f(0) == 1\n", "f")
    assert style == "pytest" and sorted(t.name for t in parts.tests) == ["test_assert_1", "test_x"]
    parts, style, _ = split_trainer_tests("def check(candidate):\n    assert candidate(1) == 2\n"
                                          "    assert candidate(2) == 3\n\ncheck(f)\n", "f")
    assert style == "check" and len(parts.tests) == 2
    with pytest.raises(Invalid, match="write at least one test"):
        split_trainer_tests("  \n", "f")


def test_sweep_schedules_code_records_past_other_projects_submissions(db, code_demo, runner):  # type: ignore[no-untyped-def]
    """Submitted records of a project without code tasks never take the sweep's places (its batch is 1
    here): the code record behind them still gets its hidden runs."""
    from assay.services.projects import projects

    demo, me = code_demo, code_demo.annotator1
    pairwise = projects.find_project(db, "demo-pairwise")
    t = queue.claim_next(db, pairwise.id, me.id)
    assert t is not None
    annotations.submit(db, pairwise.id, t.record_id, me.id, {"preference": {"choice": "a", "strength": 1}}, 5)
    rid = _claim_close_elements(db, demo)
    annotations.submit(db, demo.project.id, rid, me.id,
                       {"review": {"verdicts": {"0": "correct", "1": "buggy"}, "preference": {"choice": "a", "strength": 1},
                                   "tests": "", "rationale": "A is right."}}, 10)
    assert code_hidden.sweep(db, runner, limit=1) == 2  # both candidates of the code record
    assert code_hidden.sweep(db, runner, limit=1) == 0
    wait_for(lambda: all(r.finished for r in code_hidden.hidden_runs(db, demo.project.id, rid, demo.admin)))
