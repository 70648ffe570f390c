"""Users and roles."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(str, enum.Enum):
    """Site-wide role. Project membership (with its own role) decides what a person sees at all."""

    admin = "admin"
    lead = "lead"
    reviewer = "reviewer"
    annotator = "annotator"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    display_name: str = ""
    is_active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def label(self) -> str:
        return self.display_name or self.username
