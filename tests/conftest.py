"""Shared test configuration.

Markers name the real components a test needs: `postgres`, `browser`, `sandbox`, `ray`. Without the
component a test skips with the reason on a laptop; under CI=true it fails instead, never skipping silently
(`missing`, `require_module` and `require_file` below are the one way a test gives up for a missing thing).

`slow` marks what the fast loop (`uv run pytest -m "not slow"`, docs/dev.md) leaves out; every `browser`,
`ray` and `postgres` test is slow without saying so (see `pytest_collection_modifyitems`). CI runs everything.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

# pytest rewrites the assertions of every test module (and of the hypothesis/anyio plugin packages) on each
# import; with PYTHONDONTWRITEBYTECODE set (as on this machine) it never caches the result and collection
# redoes about 5 s of AST work per run. Let the rewritten modules be cached in __pycache__ (git-ignored).
sys.dont_write_bytecode = False

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_SERVER_URL = os.environ.get("ASSAY_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each test session works in its own schema of the test database, so parallel runs never collide.
PG_SCHEMA = f"assay_test_{os.getpid()}"
PG_URL = f"{PG_SERVER_URL}{'&' if '?' in PG_SERVER_URL else '?'}options=-csearch_path%3D{PG_SCHEMA}"
CHROMIUM = os.environ.get("ASSAY_CHROMIUM", "/usr/bin/chromium")
# The tests' fake LLM servers listen on loopback: allow it explicitly, as `assay demo` does (issue 18: outbound
# calls go only to allowed hosts). Tests of the allow-list pass their own `outbound_allowed_hosts`.
os.environ.setdefault("ASSAY_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1,::1")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUTPUT_DIR = Path(os.environ.get("ASSAY_TEST_OUTPUT", Path(__file__).resolve().parents[1] / "test-output"))


@functools.cache
def _postgres() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_SERVER_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return None
    except Exception as e:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL not reachable at {PG_URL}: {e}"


@functools.cache
def _browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (uv sync)"
    return None


@functools.cache
def _sandbox() -> str | None:
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed (apt-get install -y bubblewrap)"
    r = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True)
    if r.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {r.stderr.decode(errors='replace').strip()}"
    return None


@functools.cache
def _ray() -> str | None:
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (uv sync --extra ray)"
    return None


CHECKS = {"postgres": _postgres, "browser": _browser, "sandbox": _sandbox, "ray": _ray}


def missing(why: str) -> NoReturn:
    """A component or file the test needs is not here: skip with `why` on a laptop, fail under CI=true.

    The one way a test may give up for a missing thing (instead of `pytest.importorskip` or a bare
    `pytest.skip`, which would pass silently in CI). Works in a test, a fixture or at module level.
    """
    if IN_CI:
        pytest.fail(f"CI=true and a required component is missing: {why}", pytrace=False)
    pytest.skip(why, allow_module_level=True)


def require_module(name: str, install: str = "uv sync") -> ModuleType:
    """`import name`, or `missing(...)` naming the command that installs it (importorskip, CI-safe)."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        missing(f"{name} is not installed ({install}): {e}")


def require_file(path: Path) -> Path:
    """`path` if it exists, else `missing(...)` (e.g. a data file under ../shared/data)."""
    if not path.exists():
        missing(f"{path} is missing")
    return path


#: Markers that make a test slow by themselves: a browser or a Ray start costs seconds before the first
#: assert, and the fast loop runs on SQLite only (the PostgreSQL variant of each test runs in the full suite).
SLOW_BY_MARKER = ("browser", "ray", "postgres")


#: Tests of a machine-wide resource run in one pytest-xdist worker, one after another, when the tests run in
#: several (`-n 2`): the containment tests count the processes left under the sandbox's host uids
#: (`assay.sandbox.uids`), which runs in another worker would add to, and the fork bombs are heavy. The controller that deals tests out sees only node ids, so the group is by path; a test that
#: uses the sandbox outside these paths fails collection (`pytest_collection_modifyitems`).
SANDBOX_PATHS = ("tests/sandbox/", "tests/code/", "tests/jobs/test_lifespan.py", "tests/security/test_hidden_code.py",
                 "tests/security/test_sandbox_")
SANDBOX_FIXTURES = {"sandbox", "code_demo"}


def _serial_group(nodeid: str) -> str:
    return "sandbox" if nodeid.startswith(SANDBOX_PATHS) else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `-n`: tests one by one to whichever worker is free, except that the sandbox's tests form one
    unit (see `SANDBOX_PATHS`)."""
    from xdist.scheduler import LoadScopeScheduling

    class SerialSandbox(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _serial_group(nodeid)

    return SerialSandbox(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every `browser`, `ray` and `postgres` test is also `slow` (so `-m "not slow"` leaves them out); a
    sandbox test outside `SANDBOX_PATHS` is a collection error (it could run beside the fork bomb)."""
    stray = []
    for item in items:
        if any(item.get_closest_marker(m) for m in SLOW_BY_MARKER) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        uses_sandbox = item.get_closest_marker("sandbox") or SANDBOX_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses_sandbox and not item.get_closest_marker("browser") and _serial_group(item.nodeid) != "sandbox":
            stray.append(item.nodeid)
    if stray:
        raise pytest.UsageError("these tests use the sandbox but are not under SANDBOX_PATHS (tests/conftest.py), "
                                "so under -n they could run beside the fork-bomb test: " + ", ".join(stray[:5]))


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, check in CHECKS.items():
        if item.get_closest_marker(marker) is None:
            continue
        why = check()
        if why:
            missing(why)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash passwords in this process with argon2id at cheap parameters (1 pass, 1 MiB, 1 lane).

    The shipped parameters cost about 0.3-0.6 s per hash or login on this machine, which made most of
    the suite's time; a hash records its parameters, so verification works exactly as in production.
    tests/security/test_passwords.py checks the shipped hasher on an untouched copy of the module.
    Servers the tests start in a subprocess hash with the shipped parameters.
    """
    from argon2 import PasswordHasher

    import assay.services.accounts.passwords as pw

    saved, pw._hasher = pw._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    pw._dummy_hash.cache_clear()
    yield
    pw._hasher = saved
    pw._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real data folder (../shared/data); fails under CI when it is missing."""
    return require_file(SHARED_DATA)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests save screenshots and reports (test-output/ in the repo, ignored by git)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


def reset_postgres(url: str = PG_URL) -> None:
    """Drop and recreate this session's schema in the test database (see PG_SCHEMA)."""
    import psycopg

    with psycopg.connect(PG_SERVER_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {PG_SCHEMA}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this session's PostgreSQL schema, if one was made."""
    if _postgres.cache_info().currsize and _postgres() is None:
        try:
            import psycopg

            with psycopg.connect(PG_SERVER_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
                c.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        except Exception:  # noqa: BLE001 - cleanup only
            pass


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database migrated to head once per test session. Running Alembic's whole chain takes
    about 0.3 s per database, and most tests want a fresh one: they get a copy of this file instead (5 ms),
    the same bytes a fresh upgrade writes. The migrations themselves are tested in tests/store."""
    import sqlite3

    from assay.store.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "assay.db"
    upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so one file is the copy
    finally:
        con.close()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings for a fresh, migrated database: SQLite in tmp_path (a copy of `sqlite_template`), or the
    PostgreSQL test database."""
    from assay.config import load_settings
    from assay.store.migrate import upgrade

    if request.param == "postgres":
        reset_postgres(PG_URL)
        s = load_settings(data_dir=tmp_path / "data", database_url=PG_URL)
        s.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(s.resolved_database_url)
        return s
    s = load_settings(data_dir=tmp_path / "data")
    s.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(request.getfixturevalue("sqlite_template"), s.data_dir / "assay.db")
    return s


@pytest.fixture
def db(settings):  # type: ignore[no-untyped-def]
    """An open Db on a fresh database (both back ends)."""
    from assay.store.db import open_db

    handle = open_db(settings, migrate=False)
    yield handle
    handle.close()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (a fresh profile per session).

    Defined here, once, so every test package shares one Playwright instance: conftests must not import
    this fixture (an imported copy is a second session fixture and a second, failing sync Playwright).
    """
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                    args=CHROMIUM_ARGS, viewport={"width": 1360, "height": 900})
        yield ctx
        ctx.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    browser.clear_cookies()
    p = browser.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.js_errors = errors  # type: ignore[attr-defined]
    yield p
    p.close()
