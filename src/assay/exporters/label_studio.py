"""Label Studio JSON: a project's records and annotations as Label Studio tasks (pure).

For teams moving from Assay to Label Studio. Each record is one task:

- ``data``: ``assay_id`` (the record's external id), ``messages`` (the conversation, for a
  ``<Paragraphs value="$messages" layout="dialogue" nameKey="role" textKey="content"/>``), ``prompt`` (the
  last user turn as text), ``answer1`` … ``answerN`` (the completions), ``models`` (their model names) and,
  when the project has a ranking question, ``items`` (``{id: "answerI", title, body}`` for a ``<List>`` +
  ``<Ranker>``);
- ``annotations``: one per submitted annotation (rejected ones only with `include_rejected`), its answers as
  Label Studio result items, ``created_username`` = the Assay annotator, ``lead_time`` = active seconds,
  ``created_at`` = the submission time, ``ground_truth`` false;
- ``meta``: the Assay record id and the record's metadata (minus imported judgments and suggestions).

Answers → result items (``from_name`` is the question's name, ``to_name`` the object shown):
labels → choices (on ``prompt``; per-completion labels on ``answerI``), rating → rating (one item per
completion and dimension; the name gains ``__<dimension>`` when the question has several and
``__answerI`` when the record has several completions, so every control name in the config is unique),
text → textarea (on ``prompt``), spans → labels (offsets converted to UTF-16 code units, as Label Studio
counts them; the note in the region's ``meta.text``), pairwise → pairwise (``left`` = a; the strength in
``value.assay_strength``; ties have no Label Studio form and are counted, not written), ranking → ranker
(tie groups flattened in order, counted), code_review → nothing (counted).

`assay.formats.label_studio` reads all of this back (the round trip keeps the annotations). The dataset
card's loading section carries a label config matching the export, to paste into the Label Studio project.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from assay.domain.annotations import ExportSource
from assay.domain.answers import (
    LabelsAnswer,
    PairwiseAnswer,
    RankingAnswer,
    RatingAnswer,
    SpansAnswer,
    TextAnswer,
    read_answer,
)
from assay.domain.questions import Question, QuestionKind
from assay.exporters.table import ExportTable, Tally, conversation, used_annotations

REASONS = ("pairwise_ties_not_written", "ranking_ties_flattened", "code_review_not_written",
           "unreadable_answers", "records_without_annotations")


def utf16(text: str, offset: int) -> int:
    """A code-point offset into `text` as a UTF-16 code-unit offset (what Label Studio's JavaScript counts)."""
    return len(text[:offset].encode("utf-16-le")) // 2


def _obj(i: int) -> str:
    return f"answer{i + 1}"


def _item(from_name: str, to_name: str, rtype: str, value: dict[str, Any], n: int) -> dict[str, Any]:
    return {"id": f"{from_name[:6]}{n:04d}", "from_name": from_name, "to_name": to_name, "type": rtype,
            "origin": "manual", "value": value}


def _name(*parts: str) -> str:
    return "__".join(p for p in parts if p)


def results(q: Question, raw: Any, texts: list[str], tally: Tally) -> list[dict[str, Any]]:
    """One answer as Label Studio result items (see the module doc); [] when it has no Label Studio form."""
    ans = read_answer(q.kind, raw)
    many = len(texts) > 1
    out: list[dict[str, Any]] = []
    if ans is None:
        tally.add("unreadable_answers")
    elif isinstance(ans, LabelsAnswer):
        if ans.per_completion is not None:
            out += [_item(_name(q.name, _obj(i) if many else ""), _obj(i), "choices", {"choices": list(v)}, i)
                    for i, v in sorted(ans.per_completion.items())]
        else:
            out.append(_item(q.name, "prompt", "choices", {"choices": list(ans.labels)}, 0))
    elif isinstance(ans, TextAnswer):
        out.append(_item(q.name, "prompt", "textarea", {"text": [ans.text]}, 0))
    elif isinstance(ans, RatingAnswer):
        dims = [str(d.get("name")) for d in q.options.get("dimensions", [])]
        for i, row in sorted(ans.scores.items()):
            for dim, v in row.items():
                name = _name(q.name, dim if len(dims) > 1 else "", _obj(i) if many else "")
                out.append(_item(name, _obj(i), "rating", {"rating": v}, len(out)))
    elif isinstance(ans, SpansAnswer):
        for s in ans.spans:
            text = texts[s.completion] if s.completion < len(texts) else ""
            value: dict[str, Any] = {"start": utf16(text, s.start), "end": utf16(text, s.end),
                                     "text": text[s.start:s.end], "labels": [s.label] if s.label else []}
            item = _item(_name(q.name, _obj(s.completion) if many else ""), _obj(s.completion), "labels", value,
                         len(out))
            if s.note:
                item["meta"] = {"text": [s.note]}
            out.append(item)
    elif isinstance(ans, PairwiseAnswer):
        if ans.is_tie:
            tally.add("pairwise_ties_not_written")
        else:
            a, b = int(q.options.get("a", 0)), int(q.options.get("b", 1))
            value = {"selected": "left" if ans.choice == "a" else "right"}
            if ans.strength is not None:
                value["assay_strength"] = ans.strength
            out.append(_item(q.name, f"{_obj(a)},{_obj(b)}", "pairwise", value, 0))
    elif isinstance(ans, RankingAnswer):
        if any(len(g) > 1 for g in ans.order):
            tally.add("ranking_ties_flattened")
        ids = [_obj(i) for g in ans.order for i in g]
        out.append(_item(q.name, "items", "ranker", {"ranker": {"items": ids}}, 0))
    else:
        tally.add("code_review_not_written")
    return out


def label_config(source: ExportSource, completions: int) -> str:
    """A Label Studio label config whose control names match the export's result items."""
    objs = [_obj(i) for i in range(max(completions, 1))]
    many = len(objs) > 1
    dialogue = '  <Paragraphs name="dialogue" value="$messages" layout="dialogue" nameKey="role" textKey="content"/>'
    lines = ["<View>", dialogue, '  <Text name="prompt" value="$prompt"/>']
    lines += [f'  <Header value="Reply {i + 1}"/>\n  <Text name="{o}" value="${o}"/>' for i, o in enumerate(objs)]
    for q in source.questions:
        opts = q.options
        if q.kind is QuestionKind.labels:
            choices = "".join(f'<Choice value="{c}"/>' for c in opts.get("choices", []))
            mode = ' choice="multiple"' if opts.get("multi") else ""
            targets = [(_name(q.name, o if many else ""), o) for o in objs] if opts.get("per_completion") \
                else [(q.name, "prompt")]
            lines += [f'  <Choices name="{n}" toName="{t}"{mode}>{choices}</Choices>' for n, t in targets]
        elif q.kind is QuestionKind.text:
            lines.append(f'  <TextArea name="{q.name}" toName="prompt"/>')
        elif q.kind is QuestionKind.rating:
            dims = opts.get("dimensions", [])
            for d in dims:
                for o in objs:
                    n = _name(q.name, str(d.get("name")) if len(dims) > 1 else "", o if many else "")
                    lines.append(f'  <Rating name="{n}" toName="{o}" maxRating="{int(d.get("max", 5))}"/>')
        elif q.kind is QuestionKind.spans:
            labels = "".join(f'<Label value="{lab}"/>' for lab in opts.get("labels", [])) or '<Label value="span"/>'
            lines += [f'  <Labels name="{_name(q.name, o if many else "")}" toName="{o}">{labels}</Labels>'
                      for o in objs]
        elif q.kind is QuestionKind.pairwise:
            a, b = int(opts.get("a", 0)), int(opts.get("b", 1))
            lines.append(f'  <Pairwise name="{q.name}" toName="{_obj(a)},{_obj(b)}"/>')
        elif q.kind is QuestionKind.ranking:
            lines += ['  <List name="items" value="$items" title="Replies"/>',
                      f'  <Ranker name="{q.name}" toName="items"/>']
    return "\n".join([*lines, "</View>"])


def label_studio_rows(source: ExportSource, *, include_rejected: bool = False) -> ExportTable:
    """Label Studio tasks, one per record (see the module doc)."""
    tally = Tally(*REASONS)
    has_ranking = any(q.kind is QuestionKind.ranking for q in source.questions)
    rows: list[dict[str, Any]] = []
    annotators: set[str] = set()
    most = 0
    for item in source.items:
        rec = item.record
        texts = [c.text for c in rec.completions]
        most = max(most, len(texts))
        user_turns = [m.content for m in rec.messages if m.role == "user"]
        data: dict[str, Any] = {"assay_id": rec.external_id, "messages": conversation(rec),
                                "prompt": user_turns[-1] if user_turns else ""}
        for i, t in enumerate(texts):
            data[_obj(i)] = t
        data["models"] = [c.model for c in rec.completions]
        if has_ranking:
            data["items"] = [{"id": _obj(i), "title": f"Reply {i + 1}", "body": t} for i, t in enumerate(texts)]
        annotations = []
        for ann in used_annotations(item, include_rejected):
            result = [r for q in source.questions if q.name in ann.answers
                      for r in results(q, ann.answers[q.name], texts, tally)]
            annotations.append({"result": result, "was_cancelled": False, "ground_truth": False,
                                "created_username": ann.annotator, "lead_time": float(ann.active_seconds),
                                "created_at": ann.submitted_at.isoformat() if ann.submitted_at else None})
            annotators.add(ann.annotator)
        if not annotations:
            tally.add("records_without_annotations")
        meta = {k: v for k, v in rec.metadata.items() if k not in ("judgments", "suggestions")}
        rows.append({"data": data, "annotations": annotations, "predictions": [],
                     "meta": {"assay_record_id": item.record_id, "metadata": meta}})
    counts = {"records": len(source.items), "rows": len(rows),
              "annotations": sum(len(r["annotations"]) for r in rows), **tally.as_dict()}
    columns = {"data": "what Label Studio shows: assay_id, messages, prompt, answer1..N, models (items with a "
                       "ranking question)",
               "annotations": "one per Assay annotation: result items, created_username (the annotator), "
                              "lead_time (active seconds), created_at",
               "meta": "the Assay record id and the record's metadata"}
    config = label_config(source, most)
    snippet = ("# Label Studio: create a project with this label config, then import train.json\n"
               "# (Data Import, or POST /api/projects/{id}/import with the file's JSON array).\n"
               '"""\n' + config + '\n"""')
    return ExportTable(format="label-studio", rows=rows, schema=pa.schema([]), counts=counts, columns=columns,
                       options={"include_rejected": include_rejected}, prompt_of=lambda r: r["data"]["messages"],
                       trainer="none (Label Studio tasks, to import into a Label Studio project)",
                       snippet=snippet, annotators=annotators)
