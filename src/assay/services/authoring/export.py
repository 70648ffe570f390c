"""Exports of authoring projects: chat paths and fact-check handling on top of `assay.exporters`.

Pure transforms of an `ExportSource` (usable without a database):
- `final_paths(source)`: of each chat task's turn records keep only the last turn, so SFT gets one row per
  conversation — the whole path with its final chosen (edited) reply. Non-chat records are kept.
- `apply_fact_checks(source, checks, mode)`: `keep` leaves the data alone; `fix` replaces each
  contradicted span that has a correction with the correction, in the completion's text, and treats a
  contradicted span without one as `drop`; `drop` adds a `fact_check` spans question whose answers carry
  the contradicted spans (label `contradicted`, the exporters' span-label convention), so SFT with
  `drop_flagged=True, span_labels=["contradicted"]` drops a record whose chosen reply is contradicted;
  for the other formats a record with any contradicted completion is left out.

`export_authoring` wires both into `assay.exporters.export` for a project in the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.answers import SpansAnswer, TextAnswer, read_by_shape
from assay.domain.questions import Question, QuestionKind
from assay.domain.records import Completion
from assay.domain.users import User
from assay.errors import Invalid
from assay.exporters.registry import ExportResult
from assay.services.accounts import policies
from assay.services.authoring.factcheck import list_fact_checks
from assay.services.authoring.views import FactCheck
from assay.services.projects.export_files import new_export_dir
from assay.store.db import Db

FACT_MODES = ("keep", "drop", "fix")
FACT_QUESTION = "fact_check"
Progress = Callable[[float, str], None]


def final_paths(source: ExportSource) -> ExportSource:
    """Keep the last turn record of every chat task (and every record that is not a chat turn)."""
    last: dict[Any, int] = {}
    for item in source.items:
        a = item.record.metadata.get("authoring") or {}
        if a.get("mode") == "chat":
            key = a.get("task_id")
            if int(a.get("turn", 0)) >= last.get(key, -1):
                last[key] = int(a.get("turn", 0))
    keep = []
    for item in source.items:
        a = item.record.metadata.get("authoring") or {}
        if a.get("mode") != "chat" or int(a.get("turn", 0)) == last.get(a.get("task_id")):
            keep.append(item)
    return dataclasses.replace(source, items=keep)


def _fixed(text: str, spans: list[FactCheck]) -> str:
    """`text` with each span replaced by its correction, right to left; overlapping spans are skipped."""
    out, limit = text, len(text) + 1
    for c in sorted(spans, key=lambda c: c.start, reverse=True):
        if c.end <= limit:
            out = out[:c.start] + c.correction + out[c.end:]
            limit = c.start
    return out


def apply_fact_checks(source: ExportSource, checks: list[FactCheck], mode: str = "drop") -> ExportSource:
    """See the module doc. Raises Invalid for an unknown mode."""
    if mode not in FACT_MODES:
        raise Invalid(f"fact_checks must be one of {', '.join(FACT_MODES)}")
    if mode == "keep":
        return source
    contradicted: dict[int, list[FactCheck]] = {}
    for c in checks:
        if c.verdict == "contradicted":
            contradicted.setdefault(c.record_id, []).append(c)
    items = []
    for item in source.items:
        found = contradicted.get(item.record_id, [])
        if not found:
            items.append(item)
            continue
        comps = list(item.record.completions)
        unfixed: list[FactCheck] = []
        for i, comp in enumerate(comps):
            mine = [c for c in found if c.completion == i]
            fixable = [c for c in mine if c.correction] if mode == "fix" else []
            unfixed.extend(c for c in mine if c not in fixable)
            if fixable:
                comps[i] = Completion(text=_fixed(comp.text, fixable), model=comp.model,
                                      metadata={**comp.metadata, "fact_check_fixed": len(fixable)})
        record = dataclasses.replace(item.record, completions=comps)
        anns = [_gold_follows(a, item.record.completions, comps, unfixed) for a in item.annotations]
        if unfixed:
            anns.append(AnnotationView(annotator=f"fact-check:{unfixed[0].author}", status="submitted", answers={
                FACT_QUESTION: {"spans": [{"completion": c.completion, "start": c.start, "end": c.end,
                                           "label": "contradicted", "note": c.source} for c in unfixed]}}))
        items.append(dataclasses.replace(item, record=record, annotations=anns))
    questions = list(source.questions)
    if not any(q.name == FACT_QUESTION for q in questions):
        questions.append(Question(name=FACT_QUESTION, kind=QuestionKind.spans, title="Fact-check", required=False,
                                  options={"labels": ["supported", "contradicted", "unverifiable"]}))
    return dataclasses.replace(source, items=items, questions=questions)


def _gold_follows(ann: AnnotationView, before: list[Completion], after: list[Completion],
                  unfixed: list[FactCheck]) -> AnnotationView:
    """A written answer that copies a completion (a chat's chosen reply kept as gold text) follows that
    completion: fixed with it, or removed when the completion stays contradicted."""
    changed = dict(ann.answers)
    bad = {before[c.completion].text for c in unfixed}
    for name, raw in ann.answers.items():
        ans = read_by_shape(raw)
        if isinstance(ans, TextAnswer):
            if ans.text in bad:
                del changed[name]
                continue
            for b, a in zip(before, after):
                if ans.text == b.text and a.text != b.text:
                    changed[name] = dataclasses.replace(ans, text=a.text).to_json()
    return dataclasses.replace(ann, answers=changed) if changed != ann.answers else ann


def _drop_contradicted(source: ExportSource) -> ExportSource:
    """For non-SFT formats: leave out records with a (still) contradicted completion."""
    def bad(item: JudgedRecord) -> bool:
        return any((marked := a.answer_as(SpansAnswer, FACT_QUESTION)) is not None and marked.spans
                   for a in item.annotations)
    return dataclasses.replace(source, items=[i for i in source.items if not bad(i)])


def export_authoring(db: Db, project_id: int, fmt: str, *, actor: User, out_dir: Path | None = None,
                     file_format: str = "jsonl", fact_checks: str = "keep", final_paths_only: bool = False,
                     options: Mapping[str, Any] | None = None, progress: Progress | None = None) -> ExportResult:
    """Export the project like `services.projects.exports.export_project`, after `final_paths` (when asked)
    and `apply_fact_checks`. For `sft` with `fact_checks` drop/fix, `drop_flagged` and `span_labels` are set
    so contradicted chosen replies are dropped. `options` are those `exports.EXPORT_OPTIONS` names (Invalid
    for others); files go into a new folder `<exports_dir>/<project>/<fmt>-authoring-<time>/` (`out_dir`
    only for trusted local callers). Lead/admin only (Forbidden otherwise)."""
    from assay.services.projects import exports, projects

    report = progress or (lambda fraction, message: None)
    policies.manage_project(actor, projects.member_role(db, project_id, actor.id))
    if fact_checks not in FACT_MODES:
        raise Invalid(f"fact_checks must be one of {', '.join(FACT_MODES)}")
    opts = exports.check_options(options or {})
    report(0.05, "reading the project's annotations")
    source = exports.export_source(db, project_id)
    if final_paths_only:
        source = final_paths(source)
    if fact_checks != "keep":
        report(0.3, "applying fact-checks")
        source = apply_fact_checks(source, list_fact_checks(db, project_id), fact_checks)
        if fmt == "sft":
            opts.setdefault("drop_flagged", True)
            opts.setdefault("span_labels", ["contradicted"])
        elif fmt != "raw":
            source = _drop_contradicted(source)
    chosen = out_dir is None
    if out_dir is None:
        out_dir = new_export_dir(db.settings, source.project, fmt, authoring=True)
    report(0.5, f"rendering {fmt} ({len(source.items)} records)")
    result = exports.render(source, fmt, out_dir, file_format, opts, remove_on_failure=chosen)
    report(1.0, f"{result.rows} rows written")
    return result
