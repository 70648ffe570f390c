"""Tables for authoring with a live model: model endpoints, authoring tasks and their conversation trees,
red-team attempts and fact-checks.

- `model_endpoints`: an OpenAI-compatible server a lead configured. `key_encrypted` holds the API key
  encrypted with a key derived from `Settings.secret_key` (Fernet); it is never returned by any route.
- `authoring_tasks`: one trainer's piece of authoring work in a project: a prompt task, a chat or a red-team
  conversation. `mode` is prompt | chat | redteam; `state` open | done.
- `authoring_nodes`: the conversation tree. A `user` node is a trainer's message; its children are the
  `assistant` replies sampled for it (slot 0, 1, ...). In a chat the chosen reply (`chosen`) is the parent of
  the next user node; `text` is what the conversation continues with (the edit, if any) and `original` the
  model's words. `record_id` on a user node is the record made from that turn.
- `redteam_attempts`: the trainer's verdict on one assistant reply of a red-team task.
- `fact_checks`: a claim span of a completion marked supported / contradicted / unverifiable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assay.store.tables import Base, utcnow


class ModelEndpointRow(Base):
    __tablename__ = "model_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    model: Mapped[str] = mapped_column(String(200))
    sampling: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key_encrypted: Mapped[str] = mapped_column(Text, default="")
    # NULL: a site-wide endpoint (admins manage it); else the project whose leads manage it (0008)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=True)
    # the base URL the stored key was entered for: the key is never sent anywhere else (0008)
    key_base_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuthoringTaskRow(Base):
    __tablename__ = "authoring_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="open")
    category: Mapped[str] = mapped_column(String(120), default="")
    difficulty: Mapped[str] = mapped_column(String(120), default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_authoring_tasks_user", "project_id", "user_id"),)


class AuthoringNodeRow(Base):
    __tablename__ = "authoring_nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("authoring_tasks.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("authoring_nodes.id", ondelete="CASCADE"),
                                                  nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    slot: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    original: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("model_endpoints.id", ondelete="SET NULL"),
                                                    nullable=True)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RedteamAttemptRow(Base):
    __tablename__ = "redteam_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("authoring_tasks.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("authoring_nodes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attack_category: Mapped[str] = mapped_column(String(120))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    harm_category: Mapped[str] = mapped_column(String(120), default="")
    severity: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    safe_reply: Mapped[str] = mapped_column(Text, default="")
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FactCheckRow(Base):
    __tablename__ = "fact_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    completion: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    claim: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text, default="")
    correction: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_fact_checks_record", "project_id", "record_id"),)


class ProblemReportRow(Base):
    """A trainer's "report a problem" on a record or an authoring task. reason: broken_record |
    unclear_guideline | offensive_content | other; state: open | resolved."""

    __tablename__ = "problem_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), nullable=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("authoring_tasks.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="open")
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (Index("ix_problem_reports_project", "project_id", "state"),)
