"""Write docs/cli.md from the `assay` command's own help (run: uv run python scripts/gen_cli_docs.py).

A test (tests/cli/test_cli_docs.py) fails when docs/cli.md is out of date or a command lacks an example.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

HEADER = """# CLI reference

Generated from the commands' own help by `uv run python scripts/gen_cli_docs.py`; do not edit by hand.
Every command reads `ASSAY_*` environment variables (see [deployment.md](deployment.md)); the global options
`--data-dir` and `--database-url` come before the command name.

"""


def is_group(cmd: Any) -> bool:
    return hasattr(cmd, "commands")


def walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)]
    if is_group(cmd):
        for name in sorted(cmd.commands):
            out.extend(walk(cmd.commands[name], [*path, name]))
    return out


def render() -> str:
    from assay.cli.main import app

    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, cmd in walk(root, ["assay"]):
        if is_group(cmd) and len(path) > 1:
            parts.append(f"## `{' '.join(path)}`\n\n{(cmd.help or '').strip()}\n\n")
            continue
        if is_group(cmd):
            continue
        parts.append(f"### `{' '.join(path)}`\n\n{(cmd.help or '').strip()}\n\n")
        rows = []
        for p in cmd.params:
            if type(p).__name__.endswith("Option"):
                names = ", ".join(f"`{o}`" for o in p.opts)
                default = "" if p.default in (None, False, ()) or callable(p.default) else f" (default: `{p.default}`)"
                rows.append(f"| {names} | {(p.help or '').strip()}{default} |")
            elif type(p).__name__.endswith("Argument"):
                helptext = (getattr(p, "help", "") or "").strip()
                rows.append(f"| `{p.name.upper()}` | {helptext or 'argument'}{'' if p.required else ' (optional)'} |")
        if rows:
            parts.append("| option | meaning |\n|---|---|\n" + "\n".join(rows) + "\n\n")
    return "".join(parts).rstrip() + "\n"


def commands_without_example() -> list[str]:
    from assay.cli.main import app

    root = typer.main.get_command(app)
    return [" ".join(p) for p, c in walk(root, ["assay"])
            if not is_group(c) and "Example:" not in (c.help or "")]


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    target.write_text(render(), encoding="utf-8")
    missing = commands_without_example()
    if missing:
        print("commands without an example in their help:", ", ".join(missing), file=sys.stderr)
    print(f"wrote {target}")
