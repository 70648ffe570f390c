"""Review and quality over the wire: a reviewer's decision, a trainer's own numbers, the model ranking.

The dashboard, agreement, aggregation, time report, gold standing and review queue answers are the
quality services' dataclasses as JSON (see docs/api-reference.md for their fields)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ReviewCreate(BaseModel):
    decision: str
    comment: str = ""


class MyStatsPublic(BaseModel):
    """The caller's own numbers in a project, and a notice when there is something to say."""

    stats: Any
    notice: str = Field(description="A note about your gold standing (\"\" when all is well).")


class ModelRankingPublic(BaseModel):
    comparisons: int
    models: Any = Field(description="Bradley–Terry scores per model, best first, with bootstrap intervals.")
