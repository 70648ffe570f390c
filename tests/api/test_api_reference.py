"""docs/api-reference.md is generated from the OpenAPI document and must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_api_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_api_docs", ROOT / "scripts" / "gen_api_docs.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    current = (ROOT / "docs" / "api-reference.md").read_text(encoding="utf-8")
    assert current == mod.render(), "docs/api-reference.md is stale: run `uv run python scripts/gen_api_docs.py`"
