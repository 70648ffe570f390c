"""What every command shares: settings from flags and environment, opening the database, and the one way
a command reports an error.

The error style: every command group is a `CommandGroup`, which wraps each command it registers in
`reported`. An `AssayError` (and an input file that cannot be opened) becomes one red line on stderr,
`error: <message>`, then one indented line per detail, and exit code 1 — never a traceback. Any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from assay.config import Settings, load_settings
from assay.errors import AssayError
from assay.store.db import Db, open_db

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
#: Exit code of a command that failed with an AssayError or unreadable input (usage errors found by the
#: argument parser exit 2, as click does).
ERROR_EXIT = 1
REPORTED = "__assay_reported__"


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """Settings from the global flags (kept on ctx.obj), extra overrides and the environment."""
    base: dict[str, Any] = dict(ctx.obj or {}) if ctx is not None else {}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return load_settings(**base)


@contextmanager
def database(settings: Settings) -> Iterator[Db]:
    """An open Db for the length of a command (migrated on SQLite), closed afterwards."""
    db = open_db(settings)
    try:
        yield db
    finally:
        db.close()


def fail(message: str, details: dict[str, Any] | None = None, *, code: int = ERROR_EXIT) -> NoReturn:
    """Print `error: message` in red on stderr (then `  key: value` per detail) and exit with `code`."""
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(message, highlight=False, markup=False, soft_wrap=True)
    for k, v in (details or {}).items():
        err_console.print(f"  {k}: {v}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code)


def reported(fn: F) -> F:
    """`fn`, with AssayError and unreadable input files reported through `fail` instead of a traceback.

    An OSError counts as bad input only when it names a file (`filename` set): "cannot open PATH: reason".
    """

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssayError as e:
            fail(e.message, e.details)
        except OSError as e:
            if e.filename is None:
                raise
            fail(f"cannot open {e.filename}: {e.strerror or e}")

    setattr(wrapper, REPORTED, True)
    return wrapper  # type: ignore[return-value]


class CommandGroup(typer.Typer):
    """A Typer app whose every command reports errors the one way (`reported`).

    Use it for every command group of `assay` (`assay.cli.main` mounts them); `command()` takes the same
    arguments as Typer's and registers the wrapped function, returning the original one.
    """

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
        register = super().command(name, **kwargs)

        def decorator(fn: F) -> F:
            register(reported(fn))
            return fn

        return decorator


def group(help: str) -> CommandGroup:
    """A command group with `help` (its first line is the summary; give an example) that shows its help
    when called without a subcommand."""
    return CommandGroup(help=help, no_args_is_help=True)
