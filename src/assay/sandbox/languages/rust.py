"""Rust with Debian's rustc (1.63), tests in the `#[cfg(test)] mod tests` idiom run by `rustc --test`.

HumanEval-X's Rust programs `use rand::Rng; use regex::Regex; use md5;`. Nothing is fetched at run time and
cargo never runs in the sandbox: `scripts/toolchains.sh` builds the three crates once, offline, from
Debian's packaged sources (`librust-regex-dev`, `librust-md5-dev`, `librust-rand-dev` in
`/usr/share/cargo/registry`, through a `[source]` replacement) and keeps their `.rlib`s in
`.cache/toolchains/rust/deps`, bound read-only. The compile phase is one `rustc --test` with those crates
passed by `--extern`: no build script and no procedural macro runs (rustc loads only the crates it is given,
and none of these is a proc-macro), and rustc itself runs inside the sandbox.

All tests run on one thread (`--test-threads=1`, in name order) with their output shown; a trusted last
test (`zzzz_assay_end`, sorted after `tests::...`) prints the end marker, so a candidate's
`std::process::exit(0)` does not pass. A failing test makes the harness exit 101.
"""

from __future__ import annotations

from pathlib import Path

from assay.errors import Unavailable
from assay.sandbox.languages.spec import Language, Toolchain, cache_folder, end_marker, executable

RUSTC = "/usr/bin/rustc"
HINT = ("install it with `apt-get install -y rustc cargo librust-regex-dev librust-md5-dev librust-rand-dev` "
        "and run `bash scripts/toolchains.sh`")
CRATES = ("rand", "regex", "md5")


def _assemble(solution: str, tests: str, nonce: str) -> str:
    end = (f"#[cfg(test)]\n#[test]\nfn zzzz_assay_end() {{\n    println!(\"{end_marker(nonce)}\");\n}}\n")
    return f"{solution.rstrip()}\n\n{tests.rstrip()}\n\n{end}"


def _rlib(deps: Path, crate: str) -> Path:
    found = sorted(deps.glob(f"lib{crate}-*.rlib"))
    if not found:
        raise Unavailable(f"the {crate} crate is not built on this server; {HINT}")
    return found[-1]


def _locate() -> Toolchain:
    rustc = executable(RUSTC, HINT)
    cache = cache_folder("rust")
    if cache is None or not (cache / "deps").is_dir():
        raise Unavailable(f"the crates Rust tasks use (rand, regex, md5) are not built on this server; {HINT}")
    deps = cache / "deps"
    tools = {"rustc": rustc, "deps": f"dependency={deps}"}
    tools |= {f"extern_{crate}": f"{crate}={_rlib(deps, crate)}" for crate in CRATES}
    return Toolchain(tools=tools, ro_paths=(str(cache),))


RUST = Language(
    name="rust", title="Rust", source_file="main.rs",
    compile_command=("{rustc}", "--test", "--edition", "2021", "-A", "warnings", "-C", "debuginfo=0", "-C", "linker=/usr/bin/gcc",
                     "--error-format=short", "-o", "main.test", "main.rs", "-L", "{deps}",
                     *(part for crate in CRATES for part in ("--extern", f"{{extern_{crate}}}"))),
    run_command=("./main.test", "--test-threads=1", "--nocapture"),
    assemble=_assemble, locate=_locate, lexer="rust", aliases=("rs",), fence=("rust", "rs"),
    compile_memory_bytes=4 << 30, compile_cpu_seconds=60.0, min_processes=16,
    test_idiom="`#[cfg(test)] mod tests { use super::*; #[test] fn name() { assert_eq!(add(2, 3), 5); } }`; "
               "the crates rand, regex and md5 are available.",
    example_tests=("#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_add() {\n"
                   "        assert_eq!(add(2, 3), 5);\n        assert_eq!(add(-1, 1), 0);\n    }\n}\n"),
)
