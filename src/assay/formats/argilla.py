"""Argilla v2 dataset exports → Assay records, judgments and suggestions. Pure.

Two layouts are read, as the Argilla 2.x SDK writes them (`argilla/datasets/_io/_disk.py`, `_hub.py`,
`argilla/records/_io/_json.py`, `_generic.py`):

- ``Dataset.to_disk(path)``: ``records.json`` (a JSON array of ``{"id", "fields", "metadata", "suggestions":
  {question: {"value", "score", "agent"}}, "responses": {question: [{"value", "user_id"}]}, "vectors",
  "status", "_server_id"}``) plus ``.argilla/settings.json`` (fields and questions) and
  ``.argilla/dataset.json``;
- ``Dataset.to_hub(repo)`` (a downloaded snapshot): ``.argilla/settings.json`` plus Parquet (or JSON lines)
  files under ``data/`` whose rows are flattened: the fields and metadata as columns, and per question
  ``<q>.responses``, ``<q>.responses.users``, ``<q>.responses.status``, ``<q>.suggestion``,
  ``<q>.suggestion.score``, ``<q>.suggestion.agent``.

Either folder may be given as a path or as one ``.zip`` of it (how the browser upload takes it); a
``records.json`` path works when ``.argilla/settings.json`` lies beside it.

The record: a ``chat`` field gives the conversation; else the first text field named like a prompt
(prompt, instruction, question, input, query, text), else the first text field, is the one user turn. The
other text fields are the completions, in the settings' order (`prompt_field` / `completion_fields`
choose explicitly). The id is the record's ``id`` (else ``_server_id``). Metadata is kept under
``metadata["argilla"]``.

Questions map by type: label_selection → labels (one label), multi_label_selection → labels, rating →
rating (of the completion whose field name the question's name contains, else the first), text → text,
ranking → ranking (option values that name completion fields, else options in order = completions in
order; equal ``rank`` values are ties), span → spans (on the question's field, which must be a
completion). Responses become judgments in ``metadata["judgments"]`` by annotator (the response's
``user_id``); responses whose status is ``draft`` or ``discarded`` are counted and left out (``to_disk``
does not write a status: those are read as submitted). Suggestions become ``metadata["suggestions"]``
(model = agent); scores go to ``metadata["argilla"]["suggestion_scores"]``. Questions the project lacks
are skipped and reported, as for Label Studio (`assay.formats.label_studio.Interchange`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assay.domain.questions import Question, QuestionKind, validate_answer
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.formats.checks import ReadStats, Where, as_dict, as_list, check_role, describe
from assay.formats.label_studio import ROLE_ALIASES, Interchange, Skipped

FORMAT = "argilla"
SETTINGS = ".argilla/settings.json"
KIND_OF_TYPE = {"label_selection": QuestionKind.labels, "multi_label_selection": QuestionKind.labels,
                "rating": QuestionKind.rating, "text": QuestionKind.text, "ranking": QuestionKind.ranking,
                "span": QuestionKind.spans}
PROMPT_NAME = re.compile(r"(prompt|instruction|question|input|query|^text$)", re.IGNORECASE)
SKIP_STATUSES = ("draft", "discarded")


class Source:
    """The files of one export, from a folder or a zip: `settings` (parsed) and `rows()` of records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_file() and zipfile.is_zipfile(path):
            self.zip = zipfile.ZipFile(path)
            names = self.zip.namelist()
            hit = next((n for n in names if n.endswith(SETTINGS)), None)
            if hit is None:
                raise Invalid(f"{path.name}: no {SETTINGS} in the zip; zip the folder Dataset.to_disk or to_hub "
                              "wrote", details={"file": str(path), "line": 0, "field": SETTINGS})
            self.prefix = hit[: -len(SETTINGS)]
        elif path.is_file():
            self.path = path.parent  # records.json with .argilla/ beside it
        if self.zip is None and not (self.path / SETTINGS).is_file():
            raise Invalid(f"{path}: no {SETTINGS}; give the folder Dataset.to_disk or to_hub wrote (or a zip of it)",
                          details={"file": str(path), "line": 0, "field": SETTINGS})
        raw = self._read(SETTINGS)
        try:
            self.settings = as_dict(json.loads(raw), Where(SETTINGS, "line", 1), "settings")
        except json.JSONDecodeError as e:
            raise Where(SETTINGS, "line", e.lineno).invalid(f"broken JSON: {e.msg} at column {e.colno}")

    def _names(self) -> list[str]:
        if self.zip is not None:
            return [n[len(self.prefix):] for n in self.zip.namelist() if n.startswith(self.prefix)]
        return [str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file()]

    def _read(self, name: str) -> bytes:
        if self.zip is not None:
            return self.zip.read(self.prefix + name)
        return (self.path / name).read_bytes()

    def rows(self) -> Iterator[tuple[Where, dict[str, Any], bool]]:
        """(where, row, flattened) for every record, in file order."""
        names = self._names()
        if "records.json" in names:
            try:
                items = json.loads(self._read("records.json"))
            except json.JSONDecodeError as e:
                raise Where("records.json", "line", e.lineno).invalid(f"broken JSON: {e.msg} at column {e.colno}")
            for i, item in enumerate(as_list(items, Where("records.json", "line", 1), "records"), 1):
                where = Where("records.json", "record", i)
                yield where, as_dict(item, where, "record"), False
            return
        data = sorted(n for n in names if n.startswith("data/") and n.endswith((".parquet", ".jsonl", ".json")))
        if not data:
            raise Invalid(f"{self.path.name}: no records.json and no data/*.parquet; export with records",
                          details={"file": str(self.path), "line": 0, "field": "records.json"})
        number = 0
        for name in data:
            for row in self._table(name):
                number += 1
                yield Where(name, "row", number), row, True

    def _table(self, name: str) -> list[dict[str, Any]]:
        raw = self._read(name)
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            table = pq.read_table(io.BytesIO(raw))
            rows = list(table.to_pylist())
            labels = _class_labels(table.schema.metadata or {})
            for row in rows:  # to_hub stores label suggestions as Hugging Face ClassLabel numbers
                for col, names in labels.items():
                    v = row.get(col)
                    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < len(names):
                        row[col] = names[v]
            return rows
        text = raw.decode("utf-8")
        if text.lstrip().startswith("["):
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _class_labels(meta: dict[bytes, bytes]) -> dict[str, list[str]]:
    """Column → ClassLabel names from the Hugging Face features kept in a Parquet file's metadata."""
    try:
        features = json.loads(meta.get(b"huggingface", b"{}")).get("info", {}).get("features", {})
    except (ValueError, AttributeError):
        return {}
    return {str(col): [str(n) for n in f["names"]] for col, f in features.items()
            if isinstance(f, dict) and f.get("_type") == "ClassLabel" and isinstance(f.get("names"), list)}


def detect(path: str | Path) -> bool:
    """Whether `path` is an Argilla v2 export: a folder (or a zip of one) with .argilla/settings.json, or a
    records.json beside one. Never raises (False)."""
    p = Path(path)
    try:
        if p.is_dir():
            return (p / SETTINGS).is_file()
        if p.is_file() and zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                return any(n.endswith(SETTINGS) for n in z.namelist())
        return p.name == "records.json" and (p.parent / SETTINGS).is_file()
    except OSError:
        return False


def _layout(settings: dict[str, Any], prompt_field: str | None,
            completion_fields: Sequence[str] | None) -> tuple[str | None, str | None, list[str]]:
    """(chat field, prompt field, completion fields) from the settings' fields."""
    fields = [as_dict(f, Where(SETTINGS, "line", 1), "fields") for f in settings.get("fields") or []]
    def kind(f: dict[str, Any]) -> str:
        return str(f.get("type") or (f.get("settings") or {}).get("type") or "text")
    names = [str(f.get("name")) for f in fields]
    unknown = [n for n in [prompt_field, *(completion_fields or [])] if n is not None and n not in names]
    if unknown:
        raise Invalid(f"{SETTINGS}: no field {', '.join(map(repr, unknown))}; its fields: {', '.join(names)}",
                      details={"field": "fields"})
    chat = next((str(f["name"]) for f in fields if kind(f) == "chat"), None)
    texts = [str(f["name"]) for f in fields if kind(f) == "text"]
    prompt = prompt_field
    if prompt is None and chat is None:
        prompt = next((n for n in texts if PROMPT_NAME.search(n)), texts[0] if texts else None)
    comps = list(completion_fields) if completion_fields is not None else [n for n in texts if n != prompt]
    return chat if prompt_field is None else None, prompt, comps


def _questions(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for i, q in enumerate(settings.get("questions") or []):
        q = as_dict(q, Where(SETTINGS, "line", 1), f"questions[{i}]")
        qtype = q.get("type") or (q.get("settings") or {}).get("type")
        out[str(q.get("name"))] = {**q, "type": qtype}
    return out


class Converter:
    """Turns one record (nested or flattened) into a Record; see the module doc."""

    def __init__(self, settings: dict[str, Any], questions: Sequence[Question] | None,
                 prompt_field: str | None, completion_fields: Sequence[str] | None,
                 question_map: dict[str, str] | None) -> None:
        self.chat, self.prompt, self.comps = _layout(settings, prompt_field, completion_fields)
        self.aq = _questions(settings)
        self.questions = {q.name: q for q in questions} if questions is not None else None
        self.qmap = dict(question_map or {})
        self.skipped: list[Skipped] = []
        self.stats = ReadStats()
        self.reported: set[str] = set()

    def target(self, name: str, where: Where, path: str) -> tuple[str, QuestionKind, Question | None] | None:
        spec = self.aq.get(name)
        if spec is None:
            raise where.invalid(f"question {name!r} is not in {SETTINGS}", path)
        kind = KIND_OF_TYPE.get(str(spec["type"]))
        if kind is None:
            self.skipped.append(Skipped(where.number, path, f"{spec['type']!r} questions have no Assay kind"))
            return None
        mapped = re.sub(r"[^0-9A-Za-z_]+", "_", self.qmap.get(name, name)).strip("_")
        if self.questions is None:
            return mapped, kind, None
        q = self.questions.get(mapped) or self.questions.get(self.qmap.get(name, name))
        if q is None:
            self.skipped.append(Skipped(where.number, path, f"the project has no question {name!r}"))
            return None
        if q.kind is not kind:
            raise where.invalid(f"Argilla {spec['type']} questions map to {kind.value} questions, but {q.name!r} "
                                f"is a {q.kind.value} question", path)
        return q.name, kind, q

    def answer(self, name: str, kind: QuestionKind, q: Question | None, value: Any, texts: list[str],
               where: Where, path: str) -> dict[str, Any]:
        spec = self.aq[name]
        if kind is QuestionKind.labels:
            labels = [value] if isinstance(value, str) else as_list(value, where, path)
            return {"labels": [str(v) for v in labels]}
        if kind is QuestionKind.text:
            if not isinstance(value, str):
                raise where.invalid(f"expected a string, got {describe(value)}", path)
            return {"text": value}
        if kind is QuestionKind.rating:
            if isinstance(value, bool) or not isinstance(value, int):
                raise where.invalid(f"expected a whole number, got {describe(value)}", path)
            dims = [str(d.get("name")) for d in (q.options.get("dimensions", []) if q else [])]
            dim = dims[0] if len(dims) == 1 else (q.name if q else name)
            idx = next((i for i, c in enumerate(self.comps) if c and c in name), 0)
            return {"scores": {str(idx): {dim: value}}}
        if kind is QuestionKind.spans:
            field = str((spec.get("settings") or {}).get("field") or spec.get("field") or "")
            if field not in self.comps:
                raise where.invalid(f"span question {name!r} marks field {field!r}, which is not a completion "
                                    f"({', '.join(self.comps)})", path)
            idx = self.comps.index(field)
            spans = []
            for j, s in enumerate(as_list(value, where, path)):
                s = as_dict(s, where, f"{path}[{j}]")
                start, end = s.get("start"), s.get("end")
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
                    raise where.invalid("expected whole-number start and end", f"{path}[{j}]")
                spans.append({"completion": idx, "start": start, "end": end, "label": str(s.get("label", "")),
                              "note": "", "text": texts[idx][start:end] if idx < len(texts) else ""})
            return {"spans": spans, "none_found": not spans}
        # ranking: ["opt1", "opt2"] (SDK) or [{"value", "rank"}] (server model)
        options = [str(o.get("value")) for o in (spec.get("settings") or {}).get("options") or []
                   if isinstance(o, dict)]
        ranked: list[tuple[int, str]] = []
        for j, v in enumerate(as_list(value, where, path)):
            if isinstance(v, dict):
                rank = v.get("rank")
                ranked.append((rank if isinstance(rank, int) else j, str(v.get("value"))))
            else:
                ranked.append((j, str(v)))
        groups: dict[int, list[int]] = {}
        for rank, opt in ranked:
            if opt in self.comps:
                idx = self.comps.index(opt)
            elif opt in options and len(options) == len(texts):
                idx = options.index(opt)
            else:
                raise where.invalid(f"ranked option {opt!r} names no completion ({', '.join(self.comps)})", path)
            groups.setdefault(rank, []).append(idx)
        return {"order": [groups[r] for r in sorted(groups)]}

    def checked(self, q: Question | None, answer: dict[str, Any], texts: list[str], where: Where,
                path: str) -> dict[str, Any]:
        if q is None or not texts:
            return answer
        try:
            return validate_answer(dataclasses.replace(q, required=False), answer, texts,
                                   strength_optional=True) or answer
        except Invalid as e:
            raise where.invalid(str(e), path) from e

    def record(self, where: Where, row: dict[str, Any], flat: bool) -> Record:
        fields = row if flat else as_dict(row.get("fields") or {}, where, "fields")
        messages: list[Message] = []
        if self.chat is not None:
            for i, m in enumerate(as_list(fields.get(self.chat) or [], where, f"fields.{self.chat}")):
                m = as_dict(m, where, f"fields.{self.chat}[{i}]")
                content = m.get("content")
                if not isinstance(content, str):
                    raise where.invalid(f"expected a string, got {describe(content)}", f"fields.{self.chat}[{i}].content")
                messages.append(Message(check_role(m.get("role"), where, f"fields.{self.chat}[{i}].role",
                                                   ROLE_ALIASES), content))
        elif self.prompt is not None:
            text = fields.get(self.prompt)
            if not isinstance(text, str):
                raise where.invalid(f"expected a string, got {describe(text)}", f"fields.{self.prompt}")
            messages.append(Message("user", text))
        completions = []
        for name in self.comps:
            text = fields.get(name)
            if text is None:
                continue
            if not isinstance(text, str):
                raise where.invalid(f"expected a string, got {describe(text)}", f"fields.{name}")
            completions.append(Completion(text, ""))
        texts = [c.text for c in completions]
        rid = row.get("id") if row.get("id") not in (None, "") else row.get("_server_id")
        if rid in (None, ""):
            raise where.invalid("missing (a record needs an id)", "id")
        judgments: dict[str, dict[str, Any]] = {}
        suggestions: dict[str, dict[str, Any]] = {}
        scores: dict[str, Any] = {}
        for name in self.aq:
            for user, status, value, path in self._responses(row, name, flat, where):
                if status in SKIP_STATUSES:
                    self.stats.add(f"argilla_{status}_responses_skipped")
                    continue
                hit = self.target(name, where, path)
                if hit is None:
                    continue
                qname, kind, q = hit
                answer = self.checked(q, self.answer(name, kind, q, value, texts, where, path), texts, where, path)
                judgments.setdefault(user, {"annotator": user, "answers": {}})["answers"][qname] = answer
            sug = self._suggestion(row, name, flat, where)
            if sug is not None:
                value, score, agent, path = sug
                hit = self.target(name, where, path)
                if hit is None:
                    continue
                qname, kind, q = hit
                answer = self.checked(q, self.answer(name, kind, q, value, texts, where, path), texts, where, path)
                suggestions[qname] = {"answer": answer, "model": agent or "argilla-suggestion", "rationale": ""}
                scores[qname] = score
        if flat:  # the columns that are neither fields, questions' nor the record's own
            taken = {self.chat, self.prompt, *self.comps, "id", "status", "_server_id", "score"}
            extra = {k: v for k, v in row.items() if k not in taken and k.split(".")[0] not in self.aq}
        else:
            extra = dict(as_dict(row.get("metadata") or {}, where, "metadata"))
        info: dict[str, Any] = {"id": str(rid), "status": row.get("status"), "metadata": extra}
        metadata: dict[str, Any] = {"argilla": info}
        if judgments:
            metadata["judgments"] = list(judgments.values())
        if suggestions:
            metadata["suggestions"] = suggestions
            info["suggestion_scores"] = scores
        return Record(external_id=str(rid), messages=messages, completions=completions, metadata=metadata,
                      source=f"{where.name}:{where.number}")

    def _responses(self, row: dict[str, Any], name: str, flat: bool,
                   where: Where) -> Iterator[tuple[str, str | None, Any, str]]:
        if flat:
            values = row.get(f"{name}.responses")
            if values is None:
                return
            users = as_list(row.get(f"{name}.responses.users") or [], where, f"{name}.responses.users")
            statuses = row.get(f"{name}.responses.status") or [None] * len(users)
            for j, value in enumerate(as_list(values, where, f"{name}.responses")):
                if j >= len(users):
                    raise where.invalid("fewer users than responses", f"{name}.responses.users")
                yield str(users[j]), statuses[j] if j < len(statuses) else None, value, f"{name}.responses[{j}]"
            return
        responses = as_dict(row.get("responses") or {}, where, "responses")
        for j, r in enumerate(as_list(responses.get(name) or [], where, f"responses.{name}")):
            path = f"responses.{name}[{j}]"
            r = as_dict(r, where, path)
            user = r.get("user_id")
            if not isinstance(user, str) or not user:
                raise where.invalid(f"expected the user's id, got {describe(user)}", f"{path}.user_id")
            status = r.get("status")
            if "value" not in r:
                raise where.invalid("missing", f"{path}.value")
            yield user, status if isinstance(status, str) else None, r["value"], f"{path}.value"

    def _suggestion(self, row: dict[str, Any], name: str, flat: bool,
                    where: Where) -> tuple[Any, Any, str, str] | None:
        if flat:
            value = row.get(f"{name}.suggestion")
            if value is None:
                return None
            return value, row.get(f"{name}.suggestion.score"), str(row.get(f"{name}.suggestion.agent") or ""), \
                f"{name}.suggestion"
        sugs = as_dict(row.get("suggestions") or {}, where, "suggestions")
        s = sugs.get(name)
        if s is None:
            return None
        s = as_dict(s, where, f"suggestions.{name}")
        if s.get("value") is None:
            raise where.invalid("missing", f"suggestions.{name}.value")
        return s["value"], s.get("score"), str(s.get("agent") or ""), f"suggestions.{name}.value"


def read(path: str | Path, questions: Sequence[Question] | None = None, *, prompt_field: str | None = None,
         completion_fields: Sequence[str] | None = None,
         question_map: dict[str, str] | None = None) -> Interchange:
    """Read an Argilla v2 export (see the module doc), all or nothing. Raises Invalid naming the file,
    record and field for malformed input, and when there are no records."""
    p = Path(path)
    if not p.exists():
        raise Invalid(f"{p}: no such file or folder; check the path", details={"file": str(p), "line": 0})
    src = Source(p)
    conv = Converter(src.settings, questions, prompt_field, completion_fields, question_map)
    records: list[Record] = []
    seen: dict[str, int] = {}
    for where, row, flat in src.rows():
        conv.stats.rows += 1
        rec = conv.record(where, row, flat)
        if rec.external_id in seen:
            raise where.invalid(f"id {rec.external_id!r} repeats record {seen[rec.external_id]}", "id")
        seen[rec.external_id] = where.number
        records.append(rec)
    if not records:
        raise Invalid(f"{p.name}: no records in the export", details={"file": str(p), "line": 0})
    conv.stats.records = len(records)
    judgments = [j for r in records for j in r.metadata.get("judgments", [])]
    return Interchange(records=records, skipped=conv.skipped, judgments=len(judgments),
                       suggestions=sum(len(r.metadata.get("suggestions", {})) for r in records),
                       annotators=sorted({str(j["annotator"]) for j in judgments}), stats=conv.stats)
