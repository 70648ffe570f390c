"""`assay.__all__` and docs/sdk.md stay in step; every public Client method is documented and tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import assay
from assay.sdk.client import Client

ROOT = Path(__file__).resolve().parents[2]


def _public_methods() -> list[str]:
    return [n for n, f in inspect.getmembers(Client, inspect.isfunction) if not n.startswith("_")]


def test_all_is_importable_and_listed_in_the_docs() -> None:
    doc = (ROOT / "docs" / "sdk.md").read_text()
    block = re.search(r"<!-- assay.__all__ -->(.*?)<!-- /assay.__all__ -->", doc, re.DOTALL)
    assert block, "docs/sdk.md needs the public-names block"
    documented = set(re.findall(r"`([A-Za-z_]+)`", block.group(1)))
    assert documented == set(assay.__all__), (documented ^ set(assay.__all__))
    for name in assay.__all__:
        assert getattr(assay, name) is not None
    assert set(assay.__all__) == set(assay._EXPORTS) | {"__version__"}


def test_every_client_method_is_documented_and_tested() -> None:
    doc = (ROOT / "docs" / "sdk.md").read_text()
    tests = "".join(p.read_text() for p in (ROOT / "tests" / "sdk").glob("test_*.py"))
    for name in _public_methods():
        assert f"{name}(" in doc, f"docs/sdk.md does not mention Client.{name}"
        assert f".{name}(" in tests, f"no SDK test calls Client.{name}"
