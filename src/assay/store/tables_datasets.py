"""Who owns each dataset of the dataset store (the store itself holds only files).

- `dataset_owners`: one row per dataset name. `project_id` is the owning project (its leads, and admins,
  may see, explore, push from and make new versions of the dataset); NULL means site-wide (admins made it:
  every lead may read it, only admins may write it). A dataset with no row is site-wide too: datasets made
  from the CLI (by whoever runs the server) before owners existed, or since. `project_id` is deliberately
  not a foreign key with ON DELETE: a deleted project's datasets must not fall back to site-wide.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assay.store.tables import Base, utcnow


class DatasetOwnerRow(Base):
    __tablename__ = "dataset_owners"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
