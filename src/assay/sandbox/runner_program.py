"""The test runner that executes inside the sandbox (standard library only; never imported by Assay).

Reads `assay_tests.json` from the working folder (then deletes it), executes `solution.py` as the
module `solution`, runs the test prelude, then each test snippet with a per-test alarm, capturing the
output of each. Results go as JSON lines, each tagged with the run's nonce, to the file descriptor
named by ASSAY_REPORT_FD: {"kind": "start"}, {"kind": "setup_error", "where", "message", "output"},
{"kind": "test", "name", "status", "message", "output"} per test, and {"kind": "end"}.

The candidate runs in this same process, so a hostile candidate could forge these lines; the host
validates their shape and names, and treats them as a claim made by sandboxed code.
"""

import io
import json
import os
import signal
import sys
import traceback
import types
from typing import Any

SPEC = "assay_tests.json"


class _TestTimeout(BaseException):
    """Raised by the per-test alarm (a BaseException so `except Exception` in candidates misses it)."""


class _CappedText(io.TextIOBase):
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        room = self.cap - self.size
        if len(s) > room:
            self.truncated = True
            s = s[:max(room, 0)]
        self.parts.append(s)
        self.size += len(s)
        return len(s)

    def value(self) -> str:
        return "".join(self.parts) + ("\n[output truncated]" if self.truncated else "")


def _on_alarm(signum: int, frame: object) -> None:
    raise _TestTimeout()


def _short_traceback(exc: BaseException, filename_prefix: str) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # drop frames of this runner
    kept = [ln for ln in lines if "runner_program" not in ln and "assay_runner.py" not in ln]
    return "".join(kept)[-8000:]


def _run_captured(code: str, namespace: dict[str, Any], filename: str, seconds: float,
                  cap: int) -> tuple[str, str, str]:
    """Run code; return (status, message, output)."""
    out = _CappedText(cap)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    status, message = "passed", ""
    try:
        compiled = compile(code, filename, "exec")
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            exec(compiled, namespace)  # noqa: S102 - running the candidate is the point
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _TestTimeout:
        status, message = "error", f"timed out after {seconds:g} s"
    except AssertionError as e:
        status, message = "failed", _short_traceback(e, filename)
    except SystemExit as e:
        status, message = "error", f"the code called exit({e.code!r})"
    except BaseException as e:  # noqa: BLE001 - everything the candidate raises is a test error
        status, message = "error", _short_traceback(e, filename)
    finally:
        sys.stdout, sys.stderr = old_out, old_err
    return status, message, out.value()


def main() -> None:
    report = os.fdopen(int(os.environ["ASSAY_REPORT_FD"]), "w", buffering=1, encoding="utf-8")
    with open(SPEC, encoding="utf-8") as f:
        spec = json.load(f)
    os.remove(SPEC)
    nonce = spec["nonce"]
    seconds = float(spec["per_test_seconds"])
    cap = int(spec["max_test_output"])

    def emit(**fields: Any) -> None:
        fields["nonce"] = nonce
        report.write(json.dumps(fields) + "\n")
        report.flush()

    signal.signal(signal.SIGALRM, _on_alarm)
    emit(kind="start")
    sys.path.insert(0, os.getcwd())
    module = types.ModuleType("solution")
    module.__file__ = os.path.join(os.getcwd(), "solution.py")
    sys.modules["solution"] = module
    with open("solution.py", encoding="utf-8") as f:
        source = f.read()
    status, message, output = _run_captured(source, module.__dict__, "solution.py", seconds, cap)
    if status != "passed":
        emit(kind="setup_error", where="solution", message=message, output=output)
        return
    namespace = dict(module.__dict__)
    namespace["__name__"] = "assay_tests"
    status, message, output = _run_captured(spec["prelude"], namespace, "tests.py", seconds, cap)
    if status != "passed":
        emit(kind="setup_error", where="tests", message=message, output=output)
        return
    for test in spec["tests"]:
        status, message, output = _run_captured(
            test["code"], namespace, "<test {}>".format(test["name"]), seconds, cap)
        emit(kind="test", name=test["name"], status=status, message=message, output=output)
    emit(kind="end")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
