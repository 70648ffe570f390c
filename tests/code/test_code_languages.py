"""Code tasks in JavaScript, C++, Java, Go and Rust through the code services, in the real sandbox: HumanEval-X imported
with `--format humaneval-x`, visible tests and the trainer's tests (one program each, with a mutation
score), a compile error stated clearly, and a language whose toolchain is missing shown as unavailable."""

from __future__ import annotations

import dataclasses

import pytest

from assay.errors import Unavailable
from assay.sandbox.languages import REGISTRY, Language, Toolchain
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.code import demo as code_demo_service
from assay.services.code import runs as code_runs
from assay.services.projects import imports, projects
from tests.code.conftest import wait_for
from tests.conftest import SHARED_DATA, require_file
from tests.sandbox.conftest import require_language

pytestmark = pytest.mark.sandbox
JAVA_TESTS = ("public class Main {\n    public static void main(String[] args) {\n"
              "        if (new Solution().hasCloseElements(Arrays.asList(1.0, 2.0), 0.5)) throw new AssertionError();\n"
              "    }\n}\n")
GO_TESTS = "func TestMine(t *testing.T) {\n    assert.Equal(t, false, HasCloseElements([]float64{1.0, 2.0}, 0.5))\n}\n"
RUST_TESTS = ("#[cfg(test)]\nmod mine {\n    use super::*;\n\n    #[test]\n    fn mine() {\n"
              "        assert_eq!(has_close_elements(vec![1.0, 2.0], 0.5), false);\n    }\n}\n")


def _project(db, name: str, file: str):  # type: ignore[no-untyped-def]
    admin = users.find_user(db, "admin")
    spec = dataclasses.replace(code_demo_service.code_demo_spec(), name=name)
    project = projects.create_project(db, spec, admin)
    projects.add_member(db, project.id, "annotator1", "annotator", admin)
    opts = imports.ImportOptions(fmt="humaneval-x", with_reference=True).checked()
    imports.import_file(db, project.id, require_file(SHARED_DATA / "humaneval-x" / file), opts)
    me = users.find_user(db, "annotator1")
    task = queue.claim_next(db, project.id, me.id)
    assert task is not None and task.record.external_id.endswith("/0")
    return project, me, task.record_id


def _finished(db, runner, pid, rid, user, batch):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        runs = code_runs.get_runs(db, runner, pid, rid, user, batch=batch)
        return runs if all(r.finished for r in runs) else None
    return wait_for(check, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language,file,tests,broken", [
    ("javascript", "humaneval_js.jsonl.gz", "console.assert(hasCloseElements([1.0, 2.0], 0.5) === false)",
     "console.assert(hasCloseElements([1.0, 2.0], 0.5) === false"),
    ("cpp", "humaneval_cpp.jsonl.gz", "int main() {\n    assert(has_close_elements({1.0, 2.0}, 0.5) == false);\n}",
     "int main() {\n    assert(has_close_elements({1.0, 2.0}, 0.5) == false)\n}"),
    ("java", "humaneval_java.jsonl.gz", JAVA_TESTS, JAVA_TESTS.replace("throw new", "throw nw")),
    ("go", "humaneval_go.jsonl.gz", GO_TESTS, GO_TESTS.replace("0.5))", "0.5)")),
    ("rust", "humaneval_rust.jsonl.gz", RUST_TESTS, RUST_TESTS.replace("fn mine()", "fn mine(")),
])
def test_runs_in_the_task_language(db, code_demo, runner, language, file, tests, broken):  # type: ignore[no-untyped-def]
    require_language(language)
    project, admin, rid = _project(db, f"hx-{language}", file)
    view = code_runs.code_view(db, project.id, rid, admin, runner)
    assert view.language == language and view.lang["test_idiom"] and not view.lang["unavailable"]
    assert view.visible_test_sources == [view.visible_tests]

    started = code_runs.start_runs(db, runner, project.id, rid, admin, "visible")
    [visible] = _finished(db, runner, project.id, rid, admin, started[0].batch)
    assert visible.passed_all and visible.result["language"] == language, visible.result

    started = code_runs.start_runs(db, runner, project.id, rid, admin, "custom", tests=tests)
    done = {r.kind: r for r in _finished(db, runner, project.id, rid, admin, started[0].batch)}
    assert done["custom"].passed_all, done["custom"].result
    mutation = done["mutation"].result
    assert done["mutation"].state == "done" and mutation["total"] > 0 and 0 < mutation["killed"] <= mutation["total"]
    assert mutation["language"] == language

    started = code_runs.start_runs(db, runner, project.id, rid, admin, "custom", tests=broken)
    runs = {r.kind: r for r in _finished(db, runner, project.id, rid, admin, started[0].batch)}
    assert runs["custom"].result["status"] == "compile_error" or language == "javascript"
    assert not runs["custom"].passed_all
    assert runs["mutation"].state == "failed" and "do not pass on the reference" in runs["mutation"].result["message"]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_missing_toolchain_shows_as_unavailable(db, code_demo, runner, monkeypatch):  # type: ignore[no-untyped-def]
    def gone() -> Toolchain:
        raise Unavailable("/usr/bin/g++ is not installed on this server; install it with `apt-get install -y g++`")

    monkeypatch.setitem(REGISTRY, "cpp", Language(**{**REGISTRY["cpp"].__dict__, "locate": gone}))
    project, admin, rid = _project(db, "hx-cpp-missing", "humaneval_cpp.jsonl.gz")
    view = code_runs.code_view(db, project.id, rid, admin, runner)
    assert "apt-get install -y g++" in view.lang["unavailable"]
    started = code_runs.start_runs(db, runner, project.id, rid, admin, "visible")
    [run] = _finished(db, runner, project.id, rid, admin, started[0].batch)
    assert run.result["status"] == "unavailable" and "apt-get install" in run.result["message"]
