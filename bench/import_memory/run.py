"""Server memory during a large import through the import page (issue 19 item 3).

Runs tests/security/test_import_streaming.py::test_a_large_file_imports_with_the_server_under_300_mb with
ASSAY_IMPORT_BENCH_MB set (default here 1000, i.e. a generated ~1 GB JSONL of ~12 kB pairwise records): a real
uvicorn server, the lead uploads the file through /projects/{id}/import/upload, waits for the dry run, runs the
import and waits for it; the RSS of the server's process tree is sampled every 20 ms (psutil). The test asserts the
peak stays under 300 MB and the growth under half the file's size, and prints the figures.

The CI suite runs the same test at 100 MB; this script is the 1 GB measurement (about 17 minutes on a loaded
2-core machine).

Reproduce:
    uv run python bench/import_memory/run.py            # 1000 MB
    uv run python bench/import_memory/run.py --mb 300
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST = "tests/security/test_import_streaming.py::test_a_large_file_imports_with_the_server_under_300_mb"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=int, default=1000, help="size of the generated JSONL in MB (default 1000)")
    args = parser.parse_args()
    env = {**os.environ, "ASSAY_IMPORT_BENCH_MB": str(args.mb)}
    cmd = [sys.executable, "-m", "pytest", TEST, "-m", "slow", "-s", "-q", "-p", "no:cacheprovider"]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
