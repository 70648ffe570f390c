"""JavaScript on Node.js.

`console.assert` in Node only prints "Assertion failed" and the program still exits 0 (the HumanEval-X
trap), so every program starts with a prelude that replaces it with one that throws; an uncaught error
then ends the program with a non-zero status. `require('assert')` (node:assert) works as usual, and so do
the npm packages `scripts/toolchains.sh` installs into `.cache/toolchains/node_modules` (js-md5, which
HumanEval-X task 162 requires), bound read-only and found through NODE_PATH.
"""

from __future__ import annotations

from assay.sandbox.languages.spec import Language, Toolchain, end_marker, executable, node_modules

NODE = "/usr/bin/node"
HINT = "install Node.js with `apt-get install -y nodejs`"
PRELUDE = (
    "console.assert = (ok, ...msg) => { if (!ok) { throw new Error('Assertion failed'"
    " + (msg.length ? ': ' + msg.join(' ') : '')); } };\n"
)


def assemble_js(solution: str, tests: str, nonce: str) -> str:
    """Prelude, solution, tests, then the end marker (printed only when the tests threw nothing)."""
    return f"{PRELUDE}{solution.rstrip()}\n\n{tests.rstrip()}\n;console.log({end_marker(nonce)!r});\n"


def _locate() -> Toolchain:
    node = executable(NODE, HINT)
    modules = node_modules()  # npm packages installed by scripts/toolchains.sh (js-md5), bound read-only
    if modules is None:
        return Toolchain(tools={"node": node, "node_path": "NODE_PATH="})
    return Toolchain(tools={"node": node, "node_path": f"NODE_PATH={modules}"}, ro_paths=(str(modules),))


JAVASCRIPT = Language(
    name="javascript", title="JavaScript", source_file="main.js",
    run_command=("/usr/bin/env", "{node_path}", "{node}", "--max-old-space-size=256", "--stack-size=4000", "main.js"),
    assemble=assemble_js, locate=_locate, lexer="javascript", aliases=("js", "node", "nodejs"),
    fence=("javascript", "js"), run_memory_floor=1 << 30, min_processes=64,
    test_idiom="`console.assert(condition)` (a failure counts: it throws here) or `assert` from "
               "`require('assert')`, e.g. `assert.strictEqual(add(2, 3), 5)`.",
    example_tests="console.assert(add(2, 3) === 5)\nconsole.assert(add(-1, 1) === 0)\n",
)
