"""Label Studio JSON exports → Assay records, judgments and suggestions. Pure.

A Label Studio "JSON" export is an array of tasks: ``{"id", "data": {...}, "annotations": [{"completed_by",
"result": [...], "was_cancelled", "lead_time", "created_at", "updated_at", ...}], "predictions": [{"result",
"score", "model_version"}], ...}``. Each task becomes one `Record`:

- the conversation: ``data.messages`` (a list of ``{role, content}``; ``author``/``name`` + ``text`` and the
  speakers Human/Assistant are understood too), else the first of ``data.prompt``, ``text``, ``question``,
  ``instruction``, ``input`` as one user turn;
- the completions: ``data.completions`` (strings or ``{text, model}``), else ``data.items`` (a Ranker list of
  ``{id, body|text|title}``), else the keys ``answer1``, ``answer2``, … (also ``answer_a``, ``response1``,
  ``completion_2``, ``output_b`` …) in order; ``data.models`` names their models;
- the id: ``data.assay_id``, else ``data.id``, else ``label-studio-<task id>``;
- ``metadata["label_studio"]``: the task id, project and the data keys not used above.

Each annotation becomes a judgment in ``metadata["judgments"]``: ``{"annotator", "answers": {question:
answer}, "submitted_at", "active_seconds", "ground_truth", "label_studio_id"}`` attributed to the email in
``completed_by`` (a snapshot export with expanded annotators; or ``created_username``), else
``ls-user-<id>`` (the quick export has ids only). Cancelled (skipped) annotations and annotations with no
usable result are counted, not kept. Each prediction becomes suggestions in ``metadata["suggestions"]``
(``{question: {"answer", "model", "rationale"}}``; with several predictions the highest score wins); its
score is kept in ``metadata["label_studio"]["prediction_scores"]``. Predictions exported as ids only (the
quick export) are reported as skipped.

A ``from_name`` ``<question>__<suffix>`` answers ``<question>`` (how Assay's own Label Studio export names a
control per completion or rating dimension); a rating's suffix that is a dimension of the question names it.

Result items map by their ``type`` to Assay question kinds: choices → labels, rating → rating, textarea →
text, labels → spans, pairwise → pairwise, ranker → ranking. The Assay question is the one named like the
item's ``from_name`` (or as `question_map` says; ``-`` and spaces read as ``_``). When the project's
`questions` are given, results whose ``from_name`` names no question, and result types Assay has no kind
for, are reported in `Interchange.skipped` (task number, field, reason) and left out; every kept answer is
checked against its question (all-or-nothing, an `Invalid` naming the task and field). Without `questions`
(`read_records(..., "label_studio")`) every supported result is kept under its own name.

Label Studio's offsets count UTF-16 code units (JavaScript strings); spans whose text does not match at the
given code-point offsets are re-read as UTF-16 offsets, then by their text, before being refused.
"""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.domain.questions import Question, QuestionKind, validate_answer
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.formats.checks import Options, ReadStats, Where, as_dict, as_list, check_role, content_id, describe
from assay.formats.rows import DEFAULT_MAX_LINE_BYTES, iter_rows, open_binary

FORMAT = "label_studio"
KIND_OF_TYPE = {"choices": QuestionKind.labels, "rating": QuestionKind.rating, "textarea": QuestionKind.text,
                "labels": QuestionKind.spans, "pairwise": QuestionKind.pairwise, "ranker": QuestionKind.ranking}
PROMPT_KEYS = ("prompt", "text", "question", "instruction", "input")
COMPLETION_KEY = re.compile(r"^(answer|response|completion|output|reply)[_-]?([0-9]+|[a-z])$")
ROLE_ALIASES = {"human": "user", "Human": "user", "Assistant": "assistant", "bot": "assistant", "User": "user",
                "System": "system", "gpt": "assistant"}


@dataclass(frozen=True)
class Skipped:
    """A part of the source left out: `task` is its 1-based position in the export, `field` the path."""

    task: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"task {self.task}, field {self.field}: {self.reason}"


@dataclass
class Interchange:
    """What a Label Studio or Argilla reader gives: records (judgments and suggestions in their metadata),
    what was skipped, counts, and the annotators met."""

    records: list[Record]
    skipped: list[Skipped] = field(default_factory=list)
    judgments: int = 0
    suggestions: int = 0
    annotators: list[str] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)


@dataclass
class Context:
    """What converting one task needs besides the task: the project's questions (or None), the object tag
    name → data key map from a label config, `question_map`, and where skipped parts are reported."""

    questions: dict[str, Question] | None = None
    objects: dict[str, str] = field(default_factory=dict)
    question_map: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)
    resolved: dict[str, str | None] = field(default_factory=dict)  # from_name → question (memo)
    relaxed: dict[str, Question] = field(default_factory=dict)  # question → its not-required copy (memo)

    def lenient(self, q: Question) -> Question:
        """`q` with required=False: a tool's form may not have asked every part (made once per question)."""
        if q.name not in self.relaxed:
            self.relaxed[q.name] = dataclasses.replace(q, required=False)
        return self.relaxed[q.name]


def looks_like_task(row: dict[str, Any]) -> bool:
    """Whether one JSON object is a Label Studio task: a `data` object, and none of the keys of Assay's own
    and the chat formats at the top level."""
    return isinstance(row.get("data"), dict) and not ({"messages", "prompt", "completions", "chosen",
                                                       "conversations"} & set(row))


def detect(path: str | Path) -> bool:
    """Whether the file is a Label Studio JSON export: a JSON array (or JSON lines) whose first element is a
    task with `data` and `annotations`/`predictions`. Reads at most the first 64 KB; never raises for an
    unreadable or foreign file (False)."""
    try:
        with open_binary(Path(path)) as f:
            head = f.read(65536).decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    except OSError:
        return False
    head = head[1:].lstrip() if head.startswith("[") else head
    if not head.startswith("{"):
        return False
    try:
        first, _ = json.JSONDecoder().raw_decode(head)
    except json.JSONDecodeError:  # a first task longer than the head: its first key and the data key
        return re.match(r'\{\s*"(id|data)"', head) is not None and '"data"' in head
    return isinstance(first, dict) and looks_like_task(first)


def parse_label_config(xml: str) -> dict[str, str]:
    """Object tag name → data key (``<Text name="answer1" value="$reply_a"/>`` gives answer1 → reply_a).
    Raises Invalid for XML that does not parse."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise Invalid(f"the label config is not valid XML: {e}", details={"field": "label_config"})
    out = {}
    for el in root.iter():
        name, value = el.get("name"), el.get("value")
        if name and value and value.startswith("$"):
            out[name] = value[1:]
    return out


def _norm(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_")


def resolve(ctx: Context, from_name: str) -> str | None:
    """The Assay question a `from_name` answers, or None when the project has none of that name."""
    if from_name not in ctx.resolved:
        ctx.resolved[from_name] = _resolve(ctx, from_name)
    return ctx.resolved[from_name]


def _resolve(ctx: Context, from_name: str) -> str | None:
    name = ctx.question_map.get(from_name, from_name)
    base = name.split("__")[0]  # Assay's own export names per-completion controls <question>__answer2
    if ctx.questions is None:
        return _norm(base) or None
    for candidate in (name, _norm(name), _norm(name).lower(), base, _norm(base)):
        if candidate in ctx.questions:
            return candidate
    return None


# ---------------------------------------------------------------------------------------------- the task


def _messages(data: dict[str, Any], where: Where) -> list[Message]:
    raw = data.get("messages", data.get("dialogue"))
    key = "messages" if "messages" in data else "dialogue"
    if raw is not None:
        out = []
        for i, m in enumerate(as_list(raw, where, f"data.{key}")):
            m = as_dict(m, where, f"data.{key}[{i}]")
            role = m.get("role", m.get("author", m.get("name")))
            text = m.get("content", m.get("text"))
            if not isinstance(text, str):
                raise where.invalid(f"expected a string, got {describe(text)}", f"data.{key}[{i}].content")
            out.append(Message(check_role(role, where, f"data.{key}[{i}].role", ROLE_ALIASES), text))
        if out:
            return out
    for k in PROMPT_KEYS:
        if isinstance(data.get(k), str):
            return [Message("user", data[k])]
    raise where.invalid("no prompt: expected data.messages or one of " + ", ".join(f"data.{k}" for k in PROMPT_KEYS),
                        "data")


def completion_keys(data: dict[str, Any]) -> list[str]:
    """The data keys holding completions (answer1, answer_b, …) in their order."""
    found = [(m.group(2), k) for k in data if (m := COMPLETION_KEY.match(k)) and isinstance(data[k], str)]
    return [k for _, k in sorted(found, key=lambda x: (len(x[0]), x[0]))]


def _completions(data: dict[str, Any], where: Where) -> tuple[list[Completion], list[str]]:
    """The completions and, per completion, the name results use for it (a data key or a Ranker item id)."""
    raw_models = data.get("models")
    models: list[Any] = raw_models if isinstance(raw_models, list) else []

    def model(i: int) -> str:
        return str(models[i]) if i < len(models) and models[i] is not None else ""

    if "completions" in data:
        out = []
        for i, c in enumerate(as_list(data["completions"], where, "data.completions")):
            if isinstance(c, str):
                out.append(Completion(c, model(i)))
            else:
                c = as_dict(c, where, f"data.completions[{i}]")
                text = c.get("text")
                if not isinstance(text, str):
                    raise where.invalid(f"expected a string, got {describe(text)}", f"data.completions[{i}].text")
                out.append(Completion(text, str(c.get("model") or model(i))))
        return out, [f"completions[{i}]" for i in range(len(out))]
    if isinstance(data.get("items"), list):
        out, ids = [], []
        for i, it in enumerate(data["items"]):
            it = as_dict(it, where, f"data.items[{i}]")
            text = next((it[k] for k in ("body", "text", "title") if isinstance(it.get(k), str)), None)
            if text is None:
                raise where.invalid("expected a text in body, text or title", f"data.items[{i}]")
            out.append(Completion(text, str(it.get("model") or model(i))))
            ids.append(str(it.get("id", i)))
        return out, ids
    keys = completion_keys(data)
    return [Completion(data[k], model(i)) for i, k in enumerate(keys)], keys


def _external_id(task: dict[str, Any], data: dict[str, Any], where: Where) -> str:
    for key, value in (("data.assay_id", data.get("assay_id")), ("data.id", data.get("id"))):
        if value is not None and value != "":
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise where.invalid(f"expected a string or integer id, got {describe(value)}", key)
            return str(value)
    if isinstance(task.get("id"), int):
        return f"label-studio-{task['id']}"
    return content_id(data)


def _annotator(ann: dict[str, Any], where: Where, path: str) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        if isinstance(who.get("email"), str) and who["email"]:
            return str(who["email"])
        who = who.get("id")
    named = ann.get("created_username")
    if isinstance(named, str) and named.strip():
        return named.split(",")[0].strip() or named
    if isinstance(who, int) and not isinstance(who, bool):
        return f"ls-user-{who}"
    raise where.invalid(f"expected a user id or {{id, email}}, got {describe(who)}", f"{path}.completed_by")


def convert_task(where: Where, task: dict[str, Any], ctx: Context) -> Record:
    """One task as a Record with its judgments and suggestions (see the module doc). Raises Invalid naming
    the task and field for anything malformed."""
    data = as_dict(task.get("data"), where, "data")
    messages = _messages(data, where)
    completions, names = _completions(data, where)
    texts = [c.text for c in completions]
    used = {"messages", "dialogue", "completions", "items", "models", "assay_id", "id", *names}
    used |= {next((k for k in PROMPT_KEYS if isinstance(data.get(k), str)), "")} if "messages" not in data else set()
    info: dict[str, Any] = {"task": task.get("id"), "project": task.get("project"),
                            "data": {k: v for k, v in data.items() if k not in used}}
    judgments, seen = [], set()
    for i, ann in enumerate(as_list(task.get("annotations") or [], where, "annotations")):
        path = f"annotations[{i}]"
        ann = as_dict(ann, where, path)
        if ann.get("was_cancelled"):
            ctx.stats.add("label_studio_cancelled_skipped")
            continue
        who = _annotator(ann, where, path)
        answers = convert_results(where, ann.get("result") or [], f"{path}.result", ctx, texts, names)
        if not answers:
            ctx.stats.add("label_studio_empty_annotations_skipped")
            continue
        if who in seen:
            ctx.skipped.append(Skipped(where.number, path, f"a second annotation by {who}; the first is kept"))
            continue
        seen.add(who)
        j: dict[str, Any] = {"annotator": who, "answers": answers, "ground_truth": bool(ann.get("ground_truth")),
                             "label_studio_id": ann.get("id")}
        stamp = ann.get("updated_at") or ann.get("created_at")
        if isinstance(stamp, str):
            j["submitted_at"] = stamp
        if isinstance(ann.get("lead_time"), (int, float)) and not isinstance(ann.get("lead_time"), bool):
            j["active_seconds"] = float(ann["lead_time"])
        judgments.append(j)
    suggestions: dict[str, dict[str, Any]] = {}
    scores: dict[str, float | None] = {}
    for i, pred in enumerate(as_list(task.get("predictions") or [], where, "predictions")):
        path = f"predictions[{i}]"
        if isinstance(pred, int) and not isinstance(pred, bool):  # the quick export lists prediction ids only
            ctx.stats.add("label_studio_prediction_ids_skipped")
            ctx.skipped.append(Skipped(where.number, path, "only the prediction's id was exported; for predictions "
                                       "export a snapshot with full predictions"))
            continue
        pred = as_dict(pred, where, path)
        score = pred.get("score") if isinstance(pred.get("score"), (int, float)) else None
        model = str(pred.get("model_version") or "label-studio-prediction")
        for name, answer in convert_results(where, pred.get("result") or [], f"{path}.result", ctx, texts,
                                            names).items():
            if name in suggestions and (scores[name] or 0) >= (score or 0):
                ctx.stats.add("label_studio_predictions_outscored")
                continue
            suggestions[name] = {"answer": answer, "model": model, "rationale": ""}
            scores[name] = score
    metadata: dict[str, Any] = {"label_studio": info}
    if judgments:
        metadata["judgments"] = judgments
    if suggestions:
        metadata["suggestions"] = suggestions
        info["prediction_scores"] = scores
    return Record(external_id=_external_id(task, data, where), messages=messages, completions=completions,
                  metadata=metadata, source=where.source)


# -------------------------------------------------------------------------------------------- the results


def _index(to_name: str, ctx: Context, names: list[str]) -> int | None:
    key = ctx.objects.get(to_name, to_name)
    if key in names:
        return names.index(key)
    return names.index(to_name) if to_name in names else None


def _fix_offsets(text: str, start: int, end: int, quoted: str | None) -> tuple[int, int] | None:
    if quoted is None or text[start:end] == quoted:
        return (start, end) if 0 <= start < end <= len(text) else None
    units = text.encode("utf-16-le")
    try:
        s16 = units[: 2 * start].decode("utf-16-le")
        e16 = units[: 2 * end].decode("utf-16-le")
    except UnicodeDecodeError:
        s16 = e16 = ""
    if s16 and text[len(s16):len(e16)] == quoted:
        return len(s16), len(e16)
    if quoted and text.count(quoted) == 1:
        at = text.index(quoted)
        return at, at + len(quoted)
    return None


def _answer(kind: QuestionKind, q: Question | None, items: list[tuple[str, dict[str, Any]]], where: Where,
            ctx: Context, texts: list[str], names: list[str]) -> dict[str, Any]:
    """The Assay answer made of one from_name's result items (`(path, item)` pairs)."""
    def val(path: str, item: dict[str, Any], key: str) -> Any:
        value = as_dict(item.get("value"), where, f"{path}.value")
        if key not in value or value[key] is None:
            raise where.invalid("missing", f"{path}.value.{key}")
        return value[key]

    opts = q.options if q is not None else {}
    if kind is QuestionKind.labels:
        labels: list[str] = []
        per: dict[str, list[str]] = {}
        for path, item in items:
            got = val(path, item, "choices")
            got = [got] if isinstance(got, str) else as_list(got, where, f"{path}.value.choices")
            idx = _index(str(item.get("to_name", "")), ctx, names)
            if opts.get("per_completion") and idx is not None:
                per.setdefault(str(idx), []).extend(str(c) for c in got)
            else:
                labels.extend(str(c) for c in got)
        return {"per_completion": per} if opts.get("per_completion") else {"labels": labels}
    if kind is QuestionKind.text:
        parts = []
        for path, item in items:
            got = val(path, item, "text")
            parts.extend([got] if isinstance(got, str) else [str(t) for t in as_list(got, where, f"{path}.value.text")])
        return {"text": "\n".join(parts)}
    if kind is QuestionKind.rating:
        dims = [str(d.get("name")) for d in opts.get("dimensions", [])]
        scores: dict[str, dict[str, Any]] = {}
        for path, item in items:
            got = val(path, item, "rating")
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                raise where.invalid(f"expected a number, got {describe(got)}", f"{path}.value.rating")
            idx = _index(str(item.get("to_name", "")), ctx, names)
            if idx is None:
                if len(texts) > 1:
                    raise where.invalid(f"a rating of {item.get('to_name')!r}, which is none of the completions "
                                        f"({', '.join(names)}); pass a label config naming them", f"{path}.to_name")
                idx = 0
            name = str(item.get("from_name"))
            parts = name.split("__")
            named = next((x for x in parts[1:] if x in dims), None)  # <question>__<dimension>[__answerN]
            dim = dims[0] if len(dims) == 1 else (named or (name if not dims or name in dims else None))
            if not dims:
                dim = parts[1] if len(parts) > 1 and not COMPLETION_KEY.match(parts[1]) else parts[0]
            if dim is None:
                raise where.invalid(f"question {q.name if q else name!r} has several dimensions "
                                    f"({', '.join(dims)}); none is called {name!r}", f"{path}.from_name")
            scores.setdefault(str(idx), {})[dim] = int(got) if float(got).is_integer() else got
        return {"scores": scores}
    if kind is QuestionKind.spans:
        spans = []
        for path, item in items:
            idx = _index(str(item.get("to_name", "")), ctx, names)
            if idx is None:
                raise where.invalid(f"spans on {item.get('to_name')!r}, which is none of the completions "
                                    f"({', '.join(names) or 'none'})", f"{path}.to_name")
            start, end = val(path, item, "start"), val(path, item, "end")
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
                raise where.invalid(f"expected whole-number offsets, got {describe(start)}..{describe(end)}",
                                    f"{path}.value.start")
            quoted = item["value"].get("text")
            fixed = _fix_offsets(texts[idx], start, end, quoted if isinstance(quoted, str) else None)
            if fixed is None:
                raise where.invalid(f"span {start}..{end} ({describe(quoted)}) does not lie in completion {idx} "
                                    f"(length {len(texts[idx])})", f"{path}.value")
            got = val(path, item, "labels")
            meta = item.get("meta")
            note = meta.get("text", "") if isinstance(meta, dict) else ""
            note = "\n".join(str(t) for t in note) if isinstance(note, list) else str(note)
            for label in ([got] if isinstance(got, str) else as_list(got, where, f"{path}.value.labels")) or [""]:
                spans.append({"completion": idx, "start": fixed[0], "end": fixed[1], "label": str(label),
                              "note": note, "text": texts[idx][fixed[0]:fixed[1]]})
        return {"spans": spans, "none_found": False}
    if kind is QuestionKind.pairwise:
        path, item = items[-1]
        selected = val(path, item, "selected")
        if selected not in ("left", "right"):
            raise where.invalid(f"expected 'left' or 'right', got {describe(selected)}", f"{path}.value.selected")
        sides = [s.strip() for s in str(item.get("to_name", "")).split(",")]
        picked = sides[0] if selected == "left" else sides[-1]
        idx = _index(picked, ctx, names)
        a, b = int(opts.get("a", 0)), int(opts.get("b", 1))
        if idx is None or len(sides) != 2:
            choice = "a" if selected == "left" else "b"
        elif idx in (a, b):
            choice = "a" if idx == a else "b"
        else:
            raise where.invalid(f"{picked!r} is completion {idx}, not one of the pair {a} and {b}",
                                f"{path}.to_name")
        strength = item["value"].get("assay_strength")  # kept by Assay's own export
        strength = strength if strength in (1, 2, 3) and choice != "tie" else None
        return {"choice": choice, "strength": strength}
    path, item = items[-1]
    ranker = as_dict(val(path, item, "ranker"), where, f"{path}.value.ranker")
    groups: list[list[int]] = []
    for bucket, ids in ranker.items():
        idxs = []
        for j, rid in enumerate(as_list(ids, where, f"{path}.value.ranker.{bucket}")):
            idx = _index(str(rid), ctx, names)
            if idx is None:
                raise where.invalid(f"unknown item {describe(rid)}; items: {', '.join(names)}",
                                    f"{path}.value.ranker.{bucket}[{j}]")
            idxs.append(idx)
        groups.extend([[i] for i in idxs] if len(ranker) == 1 else ([idxs] if idxs else []))
    return {"order": groups}


def convert_results(where: Where, result: Any, path: str, ctx: Context, texts: list[str],
                    names: list[str]) -> dict[str, Any]:
    """One annotation's (or prediction's) result items as {question: answer}; see the module doc."""
    by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    kinds: dict[str, QuestionKind] = {}
    for j, item in enumerate(as_list(result, where, path)):
        ipath = f"{path}[{j}]"
        item = as_dict(item, where, ipath)
        from_name, rtype = item.get("from_name"), item.get("type")
        if not isinstance(from_name, str) or not from_name:
            raise where.invalid(f"expected the control's name, got {describe(from_name)}", f"{ipath}.from_name")
        if not isinstance(rtype, str):
            raise where.invalid(f"expected the result type, got {describe(rtype)}", f"{ipath}.type")
        kind = KIND_OF_TYPE.get(rtype)
        if kind is None:
            ctx.skipped.append(Skipped(where.number, f"{ipath}.type", f"{rtype!r} results have no Assay "
                                       f"question kind (from_name {from_name!r})"))
            continue
        name = resolve(ctx, from_name)
        if name is None:
            ctx.skipped.append(Skipped(where.number, f"{ipath}.from_name",
                                       f"the project has no question {from_name!r}"))
            continue
        q = ctx.questions.get(name) if ctx.questions is not None else None
        if q is not None and q.kind is not kind:
            raise where.invalid(f"a {rtype} result maps to {kind.value} questions, but {name!r} is a "
                                f"{q.kind.value} question", f"{ipath}.from_name")
        by_name.setdefault(name, []).append((ipath, item))
        kinds[name] = kind
    out: dict[str, Any] = {}
    for name, items in by_name.items():
        q = ctx.questions.get(name) if ctx.questions is not None else None
        answer = _answer(kinds[name], q, items, where, ctx, texts, names)
        if q is not None and texts:
            try:
                answer = validate_answer(ctx.lenient(q), answer, texts, strength_optional=True) or answer
            except Invalid as e:
                raise where.invalid(str(e), f"{items[0][0]} (from_name {items[0][1]['from_name']!r})") from e
        out[name] = answer
    return out


# ------------------------------------------------------------------------------------------ entry points


def _tasks(path: Path, max_line_bytes: int) -> Iterable[tuple[Where, dict[str, Any]]]:
    for where, row in iter_rows(path, max_line_bytes):
        task_where = dataclasses.replace(where, unit="task")
        if not looks_like_task(row):
            keys = ", ".join(sorted(row)) or "(none)"
            raise task_where.invalid(f"not a Label Studio task (keys {keys}); export the project as JSON "
                                     "(not JSON_MIN or CSV)", "data")
        yield task_where, row


def read(path: str | Path, questions: Sequence[Question] | None = None, *, label_config: str | None = None,
         question_map: dict[str, str] | None = None,
         max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Interchange:
    """Read a whole Label Studio JSON export (see the module doc), all or nothing.

    `questions`: the target project's questions (answers are matched and checked against them; results for
    other names are skipped and reported); `label_config`: the project's XML, to learn which data key each
    object tag shows; `question_map`: from_name → Assay question name. Raises Invalid naming the task and
    field for malformed input, and when the file has no tasks."""
    p = Path(path)
    if not p.is_file():
        raise Invalid(f"{p}: no such file; check the path", details={"file": str(p), "line": 0})
    ctx = Context(questions={q.name: q for q in questions} if questions is not None else None,
                  objects=parse_label_config(label_config) if label_config else {},
                  question_map=dict(question_map or {}))
    records: list[Record] = []
    seen: dict[str, int] = {}
    for where, task in _tasks(p, max_line_bytes):
        ctx.stats.rows += 1
        rec = convert_task(where, task, ctx)
        if rec.external_id in seen:
            raise where.invalid(f"id {rec.external_id!r} repeats task {seen[rec.external_id]}", "data.assay_id")
        seen[rec.external_id] = where.number
        records.append(rec)
    if not records:
        raise Where(str(p), "task", 0).invalid("no tasks: the export is empty")
    ctx.stats.records = len(records)
    judgments = [j for r in records for j in r.metadata.get("judgments", [])]
    return Interchange(records=records, skipped=ctx.skipped, judgments=len(judgments),
                       suggestions=sum(len(r.metadata.get("suggestions", {})) for r in records),
                       annotators=sorted({str(j["annotator"]) for j in judgments}), stats=ctx.stats)


def from_task(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """`read_records` row function: one task, every supported result kept under its own name."""
    ctx = Context(stats=opts.stats)
    rec = convert_task(dataclasses.replace(where, unit="task"), row, ctx)
    opts.stats.add("label_studio_results_skipped", len(ctx.skipped))
    return rec
