"""Go with Debian's golang-go (1.19), tests in the `go test` idiom with the vendored testify.

The program is one `main_test.go` in a module `humanEval` (HumanEval-X's layout): `package main`, one
import block (the union of the solution's and the tests' imports, plus `testing` and testify's `assert`,
which HumanEval-X's tests use without importing them: its `test_setup` is not part of the tests), the
solution, the tests (`func TestX(t *testing.T)`), and a trusted `TestMain` that prints the end marker when
every test passed (so a candidate's `os.Exit(0)` does not pass).

Nothing is fetched: `scripts/toolchains.sh` unpacks the vendored modules (testify and its dependencies,
from `go-vendor.tar.gz`) with `go.mod` into `.cache/toolchains/go` and pre-builds the standard library and
testify into a build cache there (a cold build of them takes 15-50 s; a warm one well under a second). That
folder is bound read-only; the compile phase copies `go.mod`, `vendor/` and the build cache into the
sandbox's scratch and runs `go test -c` with `GOFLAGS=-mod=vendor -trimpath`, `GOPROXY=off`, cgo off,
GOCACHE and GOPATH in the scratch; the run phase runs the test binary.
"""

from __future__ import annotations

import re
import shlex

from assay.errors import Unavailable
from assay.sandbox.languages.spec import Language, Toolchain, cache_folder, end_marker, executable

GO = "/usr/lib/go-1.19/bin/go"
HINT = "install it with `apt-get install -y golang-go` and run `bash scripts/toolchains.sh`"
ENV = {"GOCACHE": "/tmp/gocache", "GOPATH": "/tmp/gopath", "GOFLAGS": "-mod=vendor -trimpath", "GOPROXY": "off",
       "GOSUMDB": "off", "GONOSUMDB": "*", "CGO_ENABLED": "0", "GO111MODULE": "on", "GOTOOLCHAIN": "local",
       "HOME": "/sandbox", "GOTMPDIR": "/tmp"}
_PACKAGE = re.compile(r"^\s*package\s+\w+\s*$", re.MULTILINE)
_IMPORT = re.compile(r"^import\s*\(([^)]*)\)|^import\s+([^\n(]+)$", re.MULTILINE)
_ALWAYS = ('"testing"', '"github.com/stretchr/testify/assert"', 'assayfmt "fmt"', 'assayos "os"')
# standard packages a program may use without importing them (HumanEval-X's tests call `rand.`, `sort.`,
# `math.` and `time.` relying on the solution's imports; upstream's evaluator adds these the same way)
_HELPERS = {"math": '"math"', "strings": '"strings"', "strconv": '"strconv"', "sort": '"sort"', "fmt": '"fmt"',
            "rand": '"math/rand"', "time": '"time"', "regexp": '"regexp"', "bytes": '"bytes"', "md5": '"crypto/md5"'}


def _split(code: str) -> tuple[list[str], str]:
    """The import specs of `code` and the code without its package clause and import declarations."""
    specs: list[str] = []
    for m in _IMPORT.finditer(code):
        block = m.group(1) if m.group(1) is not None else m.group(2)
        for line in block.splitlines():
            spec = line.split("//")[0].strip().rstrip(";").strip()
            if spec:
                specs.append(" ".join(spec.split()))
    return specs, _IMPORT.sub("", _PACKAGE.sub("", code))


def _used(spec: str, body: str) -> bool:
    """False for an import whose package name the code never uses (HumanEval-X's prompts import packages
    their solutions do not use; Go refuses unused imports, upstream's evaluator drops them)."""
    parts = spec.split()
    name = parts[0] if len(parts) == 2 else spec.strip('"').split("/")[-1]
    if not name.isidentifier() or name == "_":
        return True
    return re.search(rf"(?<![\w.]){re.escape(name)}\.", body) is not None


def _assemble(solution: str, tests: str, nonce: str) -> str:
    sol_imports, sol_body = _split(solution)
    test_imports, test_body = _split(tests)
    body = f"{sol_body}\n{test_body}"
    imports = [spec for spec in dict.fromkeys([*sol_imports, *test_imports]) if _used(spec, body)]
    imports += [spec for spec in _ALWAYS if spec not in imports]
    named = {spec.split()[0] for spec in imports if " " in spec} | {spec.strip('"').split("/")[-1] for spec in imports}
    imports += [path for name, path in _HELPERS.items()
                if name not in named and path not in imports and re.search(rf"(?<![\w.]){name}\.[A-Z]", body)]
    block = "\n".join(f"    {spec}" for spec in imports)
    main = (
        "var _ = assert.Equal\n\n"
        "func TestMain(m *testing.M) {\n    code := m.Run()\n"
        f"    if code == 0 {{\n        assayfmt.Println(\"{end_marker(nonce)}\")\n    }}\n"
        "    assayos.Exit(code)\n}\n"
    )
    return f"package main\n\nimport (\n{block}\n)\n\n{sol_body.strip()}\n\n{test_body.strip()}\n\n{main}"


def _locate() -> Toolchain:
    go = executable(GO, HINT)
    cache = cache_folder("go")
    if cache is None or not (cache / "vendor/modules.txt").is_file() or not (cache / "gocache").is_dir():
        raise Unavailable(f"the vendored Go modules (testify) and build cache are not prepared on this server; {HINT}")
    env = [f"{k}={v}" for k, v in ENV.items()]
    build = (f"cp {shlex.quote(str(cache / 'go.mod'))} go.mod && cp -R {shlex.quote(str(cache / 'vendor'))} vendor"
             f" && cp -R {shlex.quote(str(cache / 'gocache'))} /tmp/gocache && chmod -R u+w /tmp/gocache"
             f" && exec /usr/bin/env {shlex.join(env)} {shlex.quote(go)} test -c -o main.test .")
    return Toolchain(tools={"go": go, "build": build}, ro_paths=(str(cache),))


GOLANG = Language(
    name="go", title="Go", source_file="main_test.go",
    compile_command=("/usr/bin/sh", "-c", "{build}"),
    run_command=("/usr/bin/env", "GOMAXPROCS=2", "./main.test", "-test.timeout=60s"),
    assemble=_assemble, locate=_locate, lexer="go", aliases=("golang",), fence=("go", "golang"),
    compile_memory_bytes=4 << 30, compile_cpu_seconds=60.0, run_memory_floor=1 << 30, min_processes=64,
    test_idiom="`func TestName(t *testing.T)` functions with testify's `assert` (already imported): "
               "`assert.Equal(t, 5, Add(2, 3))`, or `t.Errorf(...)` on a failure.",
    example_tests=("func TestAdd(t *testing.T) {\n    assert := assert.New(t)\n    assert.Equal(5, Add(2, 3))\n"
                   "    assert.Equal(0, Add(-1, 1))\n}\n"),
)
