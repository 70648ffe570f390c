"""TRL itself reads our exports: format helpers and a few training steps per trainer, on OpenAssistant data.

Needs a separate venv with TRL and a CPU torch (see bench/trl_load/check_with_trl.py for how to make it);
`ASSAY_TRL_PYTHON` points at its python (default /work/peers/trl/bin/python; scripts/test.sh makes one under
~/.cache/assay-peers/trl). Skips when it is missing, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import missing, require_file

ROOT = Path(__file__).resolve().parents[2]
TRL_PYTHON = Path(os.environ.get("ASSAY_TRL_PYTHON", "/work/peers/trl/bin/python"))


@pytest.mark.slow
def test_trl_trains_on_every_export(tmp_path: Path, shared_data: Path) -> None:
    if not TRL_PYTHON.exists():
        why = f"no TRL venv at {TRL_PYTHON}; scripts/test.sh or bench/trl_load/check_with_trl.py makes one"
        missing(why)
    require_file(shared_data / "oasst-en-100-trees")
    made = subprocess.run([sys.executable, str(ROOT / "bench/trl_load/make_exports.py"), str(tmp_path)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([str(TRL_PYTHON), str(ROOT / "bench/trl_load/check_with_trl.py"), str(tmp_path)],
                             check=False, capture_output=True, text=True, timeout=600)
    lines = [x for x in checked.stdout.splitlines() if " ok " in x or " FAIL " in x]
    assert checked.returncode == 0, "\n".join(lines) + checked.stderr[-2000:]
    assert len(lines) == 10 and all(" ok " in x for x in lines), "\n".join(lines)
