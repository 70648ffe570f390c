"""API tokens over the wire: create (the token is shown once), list, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TokenCreate(BaseModel):
    name: str = Field(..., min_length=1, max_length=200, description="What the token is for.")
    scope: Literal["read", "write"] = Field("read", description="read: GET only; write: everything you may do.")


class TokenPublic(BaseModel):
    """A token as its owner sees it (never the token itself; build with `model_validate(token)`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class TokenCreated(TokenPublic):
    token: str = Field(description="The token itself. Shown this once; only its hash is stored.")
