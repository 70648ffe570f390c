"""The `assay` command tree: every documented group is mounted, every command reports errors one way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assay.cli.common import REPORTED
from assay.cli.main import GROUPS, app

ROOT = Path(__file__).resolve().parents[2]


def documented_groups() -> set[str]:
    """The `## \\`assay NAME\\`` headings of docs/cli.md (one per command group)."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    return set(re.findall(r"^## `assay ([a-z-]+)`$", text, flags=re.MULTILINE))


def commands(t: typer.Typer, path: str = "assay") -> Iterator[tuple[str, object]]:
    """(command path, registered callback) for every command in `t` and its sub-groups."""
    for info in t.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "?")
        yield f"{path} {name}", info.callback
    for g in t.registered_groups:
        assert g.typer_instance is not None
        yield from commands(g.typer_instance, f"{path} {g.name}")


def test_every_documented_group_is_mounted() -> None:
    mounted = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    docs = documented_groups()
    assert docs == set(GROUPS), "docs/cli.md and assay.cli.main.GROUPS name different groups"
    assert docs <= mounted, f"documented but not mounted: {sorted(docs - mounted)}"
    # and the help of the root command lists each of them
    out = CliRunner().invoke(app, ["--help"]).output
    for name in GROUPS:
        assert re.search(rf"^\W*{name}\b", out, flags=re.MULTILINE), f"`assay --help` does not list {name}"


def test_every_command_reports_errors_the_one_way() -> None:
    found = list(commands(app))
    assert len(found) >= 40  # the tree as documented in docs/cli.md
    unwrapped = [p for p, cb in found if not getattr(cb, REPORTED, False)]
    assert unwrapped == []


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("argv, message", [
    # an AssayError from the dataset store (NotFound)
    (["data", "show", "nope@1"], "no dataset named 'nope'"),
    # an AssayError from a service behind the database (NotFound)
    (["tokens", "revoke", "nobody", "1"], "nobody"),
])
def test_an_assay_error_is_one_red_line_and_exit_1(tmp_path: Path, argv: list[str], message: str) -> None:
    r = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *argv])
    assert r.exit_code == 1, r.output
    lines = _error_lines(r.stderr)
    assert lines and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert "Traceback" not in r.output and r.stdout == ""


def test_an_unreadable_input_file_is_reported_the_same_way(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    r = CliRunner().invoke(app, ["remote", "add-records", "p", str(missing), "--token", "t"])
    assert r.exit_code == 1, r.output
    assert _error_lines(r.stderr)[0] == f"error: cannot open {missing}: No such file or directory"


def test_a_missing_extra_names_its_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline group is always mounted; without Ray, `--executor ray` says how to install it."""
    from assay.pipelines.base import Requirement
    from assay.pipelines.executors import RayExecutor

    monkeypatch.setattr(RayExecutor, "requirement", Requirement("assay_test_no_such_module", "ray[data]",
                                                                extra="ray"))
    spec = tmp_path / "spec.yaml"
    spec.write_text("steps:\n  - exact_dedup: {}\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["pipeline", "run", str(spec), "--input", "x@1", "--executor", "ray",
                                 "--store", str(tmp_path / "store")])
    assert r.exit_code == 1, r.output
    first = _error_lines(r.stderr)[0]
    assert first.startswith("error: the ray executor needs Ray") and "uv sync --extra ray" in first, r.stderr
