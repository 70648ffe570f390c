"""`Language`: everything the sandbox needs to know about one programming language, as plain data.

A language is one small module in this package (`python.py`, `javascript.py`, `cpp.py`, ...) that builds
one `Language` and is listed once in `assay.sandbox.languages.REGISTRY`. Adding Java, Rust or Go means
writing one such module: its source file name, an optional compile command, a run command, how a program
is assembled from a solution and its tests (the language's test idiom), and where its toolchain lives.

Commands are argv lists run inside the sandbox's working folder (`/sandbox`); `{tool}` placeholders name
entries of `Toolchain.tools`, found on the host by `locate` (so a toolchain outside `/usr`, such as the
TypeScript compiler installed by `scripts/test.sh` under `.cache/toolchains`, is bound read-only into the
sandbox through `Toolchain.ro_paths`). Nothing here starts a process except `locate`, which only looks at
the file system.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import Unavailable


@dataclass(frozen=True)
class Toolchain:
    """A language's toolchain as found on this host: `tools` maps placeholder names to absolute paths,
    `ro_paths` are folders outside `/usr` the sandbox must bind read-only for them to work."""

    tools: dict[str, str]
    ro_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Language:
    """One language (see the module docstring).

    - `name` is the stored value (`CodeTask.language`), `aliases` other spellings accepted on import;
    - `source_file` is what the assembled program is saved as; `compile_command` (None: interpreted) must
      leave what `run_command` runs in `/sandbox`;
    - `assemble(solution, tests, nonce)` returns the program text: the solution, the tests, and code that
      prints the end marker `ASSAY-END-<nonce>` on stdout only when every test ran (so a candidate that
      exits early with status 0 does not pass);
    - `lexer` is the Pygments lexer for highlighting; `fence` the markdown fence tags of its code;
    - `test_idiom` says in one paragraph how tests are written, `example_tests` shows it;
    - `compile_memory_bytes` / `compile_cpu_seconds`: what the compile phase may use; `run_memory_floor`:
      the least address space a run needs (V8 reserves about 1 GiB of address space at start) and
      `min_processes` the least RLIMIT_NPROC (Node starts about ten threads; the limit counts them all);
    - `locate()` returns the `Toolchain` or raises Unavailable saying what is missing and how to install it.
    """

    name: str
    title: str
    source_file: str
    run_command: tuple[str, ...]
    assemble: Callable[[str, str, str], str]
    locate: Callable[[], Toolchain]
    lexer: str
    test_idiom: str
    example_tests: str
    compile_command: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    fence: tuple[str, ...] = ()
    compile_memory_bytes: int = 2 << 30
    compile_cpu_seconds: float = 30.0
    run_memory_floor: int = 0
    min_processes: int = 1
    comment: str = "//"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def compiled(self) -> bool:
        """True when the language has a compile phase."""
        return self.compile_command is not None

    def available(self) -> str | None:
        """None when the toolchain is here, else the reason (what is missing and how to install it)."""
        try:
            self.locate()
        except Unavailable as e:
            return str(e)
        return None


def node_modules() -> Path | None:
    """The `node_modules` folder `scripts/toolchains.sh` installs npm packages into (the TypeScript
    compiler, js-md5 for HumanEval-X task 162): `$ASSAY_TOOLCHAINS/node_modules`, else
    `.cache/toolchains/node_modules` under the current folder or the checkout; None when there is none."""
    env = os.environ.get("ASSAY_TOOLCHAINS")
    repo = Path(__file__).resolve().parents[4]  # src/assay/sandbox/languages -> the checkout
    bases = [Path(env)] if env else [Path.cwd() / ".cache/toolchains", repo / ".cache/toolchains"]
    for base in bases:
        if (base / "node_modules").is_dir():
            return (base / "node_modules").resolve()
    return None


def cache_folder(name: str) -> Path | None:
    """A folder `scripts/toolchains.sh` prepared under the toolchains cache (`$ASSAY_TOOLCHAINS/<name>`, else
    `.cache/toolchains/<name>` under the current folder or the checkout), e.g. Go's vendored modules and
    build cache; None when there is none."""
    env = os.environ.get("ASSAY_TOOLCHAINS")
    repo = Path(__file__).resolve().parents[4]
    bases = [Path(env)] if env else [Path.cwd() / ".cache/toolchains", repo / ".cache/toolchains"]
    for base in bases:
        if (base / name).is_dir():
            return (base / name).resolve()
    return None


def end_marker(nonce: str) -> str:
    """The line a program prints when all its tests ran (see `Language.assemble`)."""
    return f"ASSAY-END-{nonce}"


def executable(path: str, hint: str) -> str:
    """`path` when it is an executable file, else Unavailable with `hint` (how to install it)."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    raise Unavailable(f"{path} is not installed on this server; {hint}")


def expand(command: tuple[str, ...], toolchain: Toolchain) -> list[str]:
    """`command` with `{tool}` placeholders replaced by the toolchain's paths."""
    return [toolchain.tools.get(part[1:-1], part) if part.startswith("{") and part.endswith("}") else part
            for part in command]
