"""Fixtures for code-task tests: the demo users and code project, and a runner over the real sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from assay.domain.projects import Project
from assay.domain.users import User
from assay.jobs import JobRunner
from assay.services.accounts import users
from assay.services.code.background import register
from assay.services.code.demo import ensure_code_demo
from assay.services.code.execution import CodeRunner
from assay.services.site.demo import ensure_demo


@dataclass
class CodeDemo:
    project: Project
    admin: User
    annotator1: User
    annotator2: User


@pytest.fixture
def code_demo(db) -> CodeDemo:  # type: ignore[no-untyped-def]
    ensure_demo(db)
    project = ensure_code_demo(db)
    return CodeDemo(project=project, admin=users.find_user(db, "admin"),
                    annotator1=users.find_user(db, "annotator1"), annotator2=users.find_user(db, "annotator2"))


def start_code_runner(db, sandbox=None, max_concurrent: int = 2) -> CodeRunner:  # type: ignore[no-untyped-def]
    """A CodeRunner over `sandbox` (default: the real bubblewrap one) with a started job runner of its own
    (code runs and the hidden sweep registered); stop it with `runner.jobs.stop()`."""
    jobs = JobRunner(db, threads=2)
    r = CodeRunner(jobs, sandbox=sandbox, max_concurrent=max_concurrent)
    register(jobs, r, sweep_seconds=3600)  # the tests call the sweep themselves
    jobs.start()
    return r


@pytest.fixture
def runner(db) -> Iterator[CodeRunner]:  # type: ignore[no-untyped-def]
    """A CodeRunner over the real bubblewrap sandbox (tests using it are marked `sandbox`)."""
    r = start_code_runner(db)
    yield r
    assert r.jobs.stop(60) == []


def wait_for(predicate, timeout: float = 60.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll `predicate()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


# The web fixtures (live server, Chromium page) for the browser test of the code-review task.
from tests.web.conftest import live_server  # noqa: F401 - the live server fixture (browser and page: tests/conftest.py)
