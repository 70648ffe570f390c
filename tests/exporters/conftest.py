"""Fixtures: hand-built export sources (built in exporter_sources.py)."""

from __future__ import annotations

import pytest
import tests.exporters.exporter_sources as s

from assay.domain.annotations import ExportSource


@pytest.fixture
def pairwise_source() -> ExportSource:
    return s.pairwise_source()


@pytest.fixture
def ranking_source() -> ExportSource:
    return s.ranking_source()


@pytest.fixture
def rating_source() -> ExportSource:
    return s.rating_source()
