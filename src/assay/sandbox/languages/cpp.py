"""C++ with g++ (`-std=c++17`), linked with OpenSSL's libcrypto (HumanEval-X task 162 uses
`openssl/md5.h`, from Debian's `libssl-dev`).

Tests are an `int main()` of `assert(...)`s (`#include <cassert>`; `NDEBUG` is undefined). To tell "all
tests ran" from a candidate that calls `exit(0)` early, the tests' `main` is renamed (with a `return 0;`
added at its end: the tests' `main` must be the last function of the tests) and a wrapper `main` prints the
end marker after it returns 0. Tests whose `main` takes arguments run as written, without the marker, and
so never pass.
"""

from __future__ import annotations

import os
import re

from assay.errors import Unavailable
from assay.sandbox.languages.spec import Language, Toolchain, end_marker, executable

GXX = "/usr/bin/g++"
HINT = "install it with `apt-get install -y g++ libssl-dev`"


_MAIN = re.compile(r"\bint\s+main\s*\(\s*(?:void)?\s*\)")


def _assemble(solution: str, tests: str, nonce: str) -> str:
    found = list(_MAIN.finditer(tests))
    end = tests.rfind("}")
    if len(found) != 1 or end < found[0].end():
        return f"{solution.rstrip()}\n\n#undef NDEBUG\n#include <cassert>\n{tests.rstrip()}\n"
    # the tests' main becomes a function that returns 0 when its body ends (a renamed main would
    # otherwise fall off its end), called by a main that prints the end marker
    head = tests[:found[0].start()] + "int assay_tests_main()" + tests[found[0].end():end]
    renamed = head + "\n    return 0;\n" + tests[end:]
    return (
        f"{solution.rstrip()}\n\n#undef NDEBUG\n#include <cassert>\n#include <cstdio>\n"
        f"{renamed.rstrip()}\n"
        "int main() {\n    int status = assay_tests_main();\n"
        f"    if (status == 0) {{ std::puts(\"{end_marker(nonce)}\"); std::fflush(stdout); }}\n"
        "    return status;\n}\n"
    )


def _locate() -> Toolchain:
    gxx = executable(GXX, HINT)
    if not os.path.isfile("/usr/include/openssl/md5.h"):
        raise Unavailable(f"the OpenSSL headers (openssl/md5.h) are missing on this server; {HINT}")
    return Toolchain(tools={"g++": gxx})


CPP = Language(
    name="cpp", title="C++", source_file="main.cpp",
    compile_command=("{g++}", "-std=c++17", "-O1", "-pipe", "-w", "-fmax-errors=20", "-o", "main", "main.cpp",
                     "-lcrypto"),
    run_command=("./main",),
    assemble=_assemble, locate=_locate, lexer="cpp", aliases=("c++", "cxx", "cc"), fence=("cpp", "c++", "cxx"),
    test_idiom="An `int main()` of `assert(...)` calls (`#include <cassert>` is already there).",
    example_tests="int main() {\n    assert(add(2, 3) == 5);\n    assert(add(-1, 1) == 0);\n}\n",
)
