"""Java with OpenJDK's `javac` and `java` (Debian's openjdk-17-jdk-headless).

The program is one `Main.java`: the solution (HumanEval-X's `class Solution`), the tests (a
`public class Main` whose `main` throws on failure: HumanEval-X throws `AssertionError` explicitly, and
`assert` statements count too since the JVM runs with `-ea`), and a trusted class `AssayRun` whose `main`
calls `Main.main` and prints the end marker after it returns (so a candidate's `System.exit(0)` does not
pass). `java AssayRun` runs it; the tests are left as written.

The JVM in the sandbox: RLIMIT_AS counts reserved address space, not memory used, and a default JVM
reserves several GiB (heap sized from the host's RAM, 1 GiB of compressed class space, 240 MiB of code
cache), so its reservations are capped by flags (`-Xmx256m`, class space, code cache, metaspace, the serial
collector, one JIT compiler thread) and the run's address space is at least 1.5 GiB (`run_memory_floor`);
it starts about 20 threads, which RLIMIT_NPROC counts (`min_processes`). javac is a JVM too, with the same
caps (`-J` flags) and annotation processing off (`-proc:none`): no processor on the class path runs at
compile time, and in any case the compiler runs inside the sandbox. Debian's JDK reads its configuration
through symlinks into `/etc/java-17-openjdk`, bound read-only.
"""

from __future__ import annotations

import os

from assay.errors import Unavailable
from assay.sandbox.languages.spec import Language, Toolchain, end_marker, executable

JDK = "/usr/lib/jvm/java-17-openjdk-amd64"
CONF = "/etc/java-17-openjdk"
HINT = "install it with `apt-get install -y openjdk-17-jdk-headless`"
_JVM = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=64m",
        "-XX:CompressedClassSpaceSize=64m", "-XX:MaxMetaspaceSize=192m", "-Xshare:auto")


def _assemble(solution: str, tests: str, nonce: str) -> str:
    runner = (
        "class AssayRun {\n    public static void main(String[] args) throws Throwable {\n"
        "        Main.main(args);\n"
        f"        System.out.println(\"{end_marker(nonce)}\");\n        System.out.flush();\n    }}\n}}\n"
    )
    return f"{solution.rstrip()}\n\n{tests.rstrip()}\n\n{runner}"


def _locate() -> Toolchain:
    java = executable(f"{JDK}/bin/java", HINT)
    javac = executable(f"{JDK}/bin/javac", HINT)
    if not os.path.isdir(CONF):
        raise Unavailable(f"the JDK's configuration ({CONF}) is missing on this server; {HINT}")
    return Toolchain(tools={"java": java, "javac": javac}, ro_paths=(CONF,))


JAVA = Language(
    name="java", title="Java", source_file="Main.java",
    compile_command=("{javac}", "-J-Xmx512m", *(f"-J{flag}" for flag in _JVM), "-proc:none", "-nowarn",
                     "-encoding", "UTF-8", "-Xmaxerrs", "20", "-d", ".", "Main.java"),
    run_command=("{java}", "-Xmx256m", "-Xss16m", *_JVM, "-ea", "-Djava.io.tmpdir=/tmp", "-cp", ".", "AssayRun"),
    assemble=_assemble, locate=_locate, lexer="java", fence=("java",),
    compile_memory_bytes=3 << 30, run_memory_floor=3 << 29, min_processes=64,
    test_idiom="A `public class Main` whose `public static void main(String[] args)` throws on a failure: "
               "`if (s.add(2, 3) != 5) throw new AssertionError();` (or `assert`: the JVM runs with `-ea`). "
               "The solution's class is `Solution`.",
    example_tests=("public class Main {\n    public static void main(String[] args) {\n"
                   "        Solution s = new Solution();\n"
                   "        if (s.add(2, 3) != 5) throw new AssertionError(\"add(2, 3)\");\n"
                   "        assert s.add(-1, 1) == 0;\n    }\n}\n"),
)
