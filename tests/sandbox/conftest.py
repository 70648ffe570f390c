"""Fixtures for sandbox tests: one real bubblewrap sandbox for the session."""

from __future__ import annotations

import pytest

from assay.sandbox import BubblewrapSandbox


@pytest.fixture(scope="session")
def sandbox() -> BubblewrapSandbox:
    """The real sandbox; tests using it must be marked `sandbox` (they skip without bubblewrap)."""
    return BubblewrapSandbox()


def require_language(name: str) -> None:
    """Skip (fail under CI=true) unless the language's toolchain is installed here."""
    from assay.sandbox.languages import language
    from tests.conftest import missing

    problem = language(name).available()
    if problem:
        missing(problem)
