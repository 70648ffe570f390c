"""TypeScript: compiled by `tsc` (TypeScript 5, installed from npm by `scripts/test.sh` and
`scripts/toolchains.sh` into `.cache/toolchains`, or wherever `ASSAY_TOOLCHAINS` points: a folder holding
`node_modules/typescript`), then run with Node.js like JavaScript (same `console.assert` prelude).

Type errors are compile errors (`--noEmitOnError`), so a candidate that does not type-check fails with
status `compile_error` and the compiler's messages.
"""

from __future__ import annotations

from assay.errors import Unavailable
from assay.sandbox.languages.javascript import HINT as NODE_HINT
from assay.sandbox.languages.javascript import NODE, assemble_js
from assay.sandbox.languages.spec import Language, Toolchain, executable, node_modules

HINT = ("install the TypeScript compiler with "
        "`npm install --prefix .cache/toolchains typescript@5` (scripts/test.sh does it) "
        "or set ASSAY_TOOLCHAINS to a folder holding node_modules/typescript")


def _locate() -> Toolchain:
    node = executable(NODE, NODE_HINT)
    modules = node_modules()
    tsc = modules / "typescript/lib/tsc.js" if modules else None
    if modules is None or tsc is None or not tsc.is_file():
        raise Unavailable(f"the TypeScript compiler (tsc) is not installed on this server; {HINT}")
    return Toolchain(tools={"node": node, "tsc": str(tsc), "node_path": f"NODE_PATH={modules}"},
                     ro_paths=(str(modules),))


TYPESCRIPT = Language(
    name="typescript", title="TypeScript", source_file="main.ts",
    compile_command=("{node}", "--max-old-space-size=1024", "{tsc}", "--target", "es2022", "--module", "commonjs",
                     "--lib", "es2022,dom", "--strict", "false", "--noEmitOnError", "--pretty", "false",
                     "--skipLibCheck", "main.ts"),
    run_command=("/usr/bin/env", "{node_path}", "{node}", "--max-old-space-size=256", "--stack-size=4000", "main.js"),
    assemble=assemble_js, locate=_locate, lexer="typescript", aliases=("ts",), fence=("typescript", "ts"),
    run_memory_floor=1 << 30, min_processes=64, compile_memory_bytes=3 << 30,
    test_idiom="As in JavaScript: `console.assert(condition)` (throws here) or node's `assert`; the "
               "program must type-check.",
    example_tests="console.assert(add(2, 3) === 5)\nconsole.assert(add(-1, 1) === 0)\n",
)
