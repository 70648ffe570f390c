"""Exports that mean what the docs say (issue 20, item 2): SFT takes rewrites from a named question (option,
project setting, or the workspace doc's gold example as written) and warns about text answers it leaves out;
min_judgments defaults to the project's k; a pairwise answer without a strength exports null strength and
margin, never 0.0; `assay export` takes the options."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from tests.exporters.exporter_sources import PAIRWISE, ann, item, pick, record
from typer.testing import CliRunner

from assay.domain.annotations import ExportSource
from assay.domain.projects import ProjectSpec
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.exporters.dpo import dpo_rows
from assay.exporters.kto import kto_rows
from assay.exporters.reward import reward_rows
from assay.exporters.sft import sft_rows

ROOT = Path(__file__).resolve().parents[2]


def workspace_example() -> ProjectSpec:
    """The project YAML documented in docs/workspace.md ("For leads: configuring questions"), as written."""
    text = (ROOT / "docs" / "workspace.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(questions:\n.*?)```", text, re.S)
    assert block is not None, "docs/workspace.md lost its project example"
    return ProjectSpec.from_dict({"name": "doc-example", **yaml.safe_load(block.group(1))})


def _doc_source(**settings: object) -> ExportSource:
    spec = workspace_example()
    gold_q = next(q for q in spec.questions if q.name == "gold")
    assert gold_q.kind == "text" and not gold_q.options.get("gold")  # the doc's gold answer has no gold: true
    rec = record("d1", "Explain DNS", "DNS is magic.", "DNS maps names to addresses.")
    why = "B is right and A is vague about it."
    return ExportSource("doc-example", spec.questions, [item(
        1, rec, ann("ann", 1, preference=pick("b", 2), rationale={"text": why},
                    gold={"text": "DNS maps host names to IP addresses.", "base": 1}))],
        settings={**spec.settings, **settings})


def test_the_documented_gold_example_gives_sft_its_rewrite_and_warns_about_unused_text() -> None:
    t = sft_rows(_doc_source())
    assert [r["messages"][-1]["content"] for r in t.rows] == ["DNS maps host names to IP addresses."]
    assert t.rows[0]["source"] == "gold" and t.options["gold"] == "gold"
    assert len(t.warnings) == 1 and "'rationale'" in t.warnings[0] and t.warnings[0].startswith("1 written")


def test_the_rewrite_question_named_by_option_or_project_setting() -> None:
    by_setting = sft_rows(_doc_source(sft_gold_question="rationale"))
    assert by_setting.rows[0]["messages"][-1]["content"].startswith("B is right")
    assert "'gold'" in by_setting.warnings[0]
    by_option = sft_rows(_doc_source(sft_gold_question="rationale"), gold="gold")  # the option wins
    assert by_option.rows[0]["messages"][-1]["content"] == "DNS maps host names to IP addresses."
    with pytest.raises(Invalid, match="no question 'nope'"):
        sft_rows(_doc_source(sft_gold_question="nope"))


def _two_judged_one_single() -> ExportSource:
    return ExportSource("k2", [PAIRWISE], [
        item(1, record("r1", "q1", "x", "y"), ann("ann", 1, pref=pick("a", 2)), ann("bob", 2, pref=pick("a", 3))),
        item(2, record("r2", "q2", "x", "y"), ann("ann", 3, pref=pick("b", 1))),
    ], k=2)


def test_min_judgments_defaults_to_the_projects_k() -> None:
    src = _two_judged_one_single()
    t = dpo_rows(src)
    assert [r["record_id"] for r in t.rows] == [1] and t.counts["excluded_few_judgments"] == 1
    assert t.options["min_judgments"] == 2
    assert [r["record_id"] for r in dpo_rows(src, min_judgments=1).rows] == [1, 2]
    assert reward_rows(src).counts["excluded_few_judgments"] == 1
    assert kto_rows(src, sources=["preference"]).options["min_judgments"] == 2
    assert dpo_rows(replace(src, k=0)).counts["rows"] == 2  # no k known (a hand-built source): 1


def test_a_pairwise_answer_without_strength_exports_null_not_zero() -> None:
    src = ExportSource("s", [PAIRWISE], [
        item(1, record("r1", "q", "x", "y"), ann("src", 1, pref={"choice": "a", "strength": None})),
        item(2, record("r2", "q", "x", "y"), ann("src", 1, pref=pick("b", 3)))])
    rows = {r["record_id"]: r for r in dpo_rows(src).rows}
    assert rows[1]["strength"] is None and rows[2]["strength"] == 3.0
    margins = {r["record_id"]: r["margin"] for r in reward_rows(src).rows}
    assert margins == {1: None, 2: 3.0}
    strong = dpo_rows(src, min_strength=1)  # a filter on strength cannot keep a pair that has none
    assert [r["record_id"] for r in strong.rows] == [2] and strong.counts["excluded_low_strength"] == 1


def test_assay_export_takes_the_options_and_prints_the_warning(db, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assay.cli.main import app
    from assay.services.accounts import users
    from assay.services.annotation import judgments
    from assay.services.projects import projects

    spec = replace(workspace_example(), name="doc-example", annotators_per_record=2)
    lead = users.add_user(db, "lead-doc", "password123", "lead")
    p = projects.create_project(db, spec, lead)
    form = {"preference": {"choice": "b", "strength": 2}, "rationale": {"text": "B is right and A is vague."},
            "gold": {"text": "DNS maps host names to IP addresses.", "base": 1}}
    recs = [Record(external_id=f"d{i}", messages=[Message("user", f"Explain DNS {i}")],
                   completions=[Completion("DNS is magic."), Completion("DNS maps names to addresses.")],
                   metadata={"judgments": [{"annotator": who, "answers": form} for who in ("ann", "bob")[: 1 + i % 2]]})
            for i in range(4)]
    r = judgments.import_judgments(db, p.id, recs, None, source="doc", actor=lead)
    assert r.annotations_created == 6
    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.resolved_database_url}
    run = CliRunner()
    sft = run.invoke(app, ["export", "doc-example", "--format", "sft", "--gold", "gold", "--out", str(tmp_path / "sft")],
                     env=env)
    assert sft.exit_code == 0, sft.output
    assert "warning:" in sft.output and "'rationale'" in sft.output
    rows = [json.loads(x) for x in (tmp_path / "sft" / "train.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and {x["messages"][-1]["content"] for x in rows} == {"DNS maps host names to IP addresses."}
    assert "## Warnings" in (tmp_path / "sft" / "README.md").read_text()
    dpo = run.invoke(app, ["export", "doc-example", "--out", str(tmp_path / "dpo")], env=env)
    assert dpo.exit_code == 0, dpo.output
    assert "excluded_few_judgments: 2" in dpo.output  # k = 2: the records one person judged are left out
    low = run.invoke(app, ["export", "doc-example", "--min-judgments", "1", "-O", "min_agreement=0.5",
                           "-O", "test_fraction=0.5", "--out", str(tmp_path / "dpo1")], env=env)
    assert low.exit_code == 0, low.output
    card = (tmp_path / "dpo1" / "README.md").read_text()
    assert "| min_judgments | 1 |" in card and "| min_agreement | 0.5 |" in card
    assert "excluded_few_judgments: 0" in low.output
    bad = run.invoke(app, ["export", "doc-example", "-O", "nonsense"], env=env)
    assert bad.exit_code == 1 and "KEY=VALUE" in bad.output


def test_min_flags_counts_flaggers(rating_source: ExportSource) -> None:
    """SFT's and KTO's `min_flags`: a completion flagged by fewer annotators than asked stays."""
    assert sft_rows(rating_source, drop_flagged=True, min_flags=1).counts["excluded_flagged"] == 2
    kept = sft_rows(rating_source, drop_flagged=True, min_flags=2)  # each flagged completion has one flagger
    assert kept.counts["excluded_flagged"] == 0 and kept.options["min_flags"] == 2
    flagged = kto_rows(rating_source, sources=["flag"], min_flags=1)
    assert flagged.rows and all(r["label"] is False and r["sources"] == ["flag"] for r in flagged.rows)
    assert kto_rows(rating_source, sources=["flag"], min_flags=2).rows == []


@pytest.mark.slow
def test_split_salt_on_hh(shared_data: Path, tmp_path: Path) -> None:
    """`test_fraction` with `split_salt` on the real HH pairs: the same salt gives the same split, another
    salt another one, and no prompt is on both sides."""
    from tests.conftest import require_file

    from assay.exporters import export
    from assay.formats import load_records

    recs = load_records(require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"), "hh")
    src = ExportSource("hh", [PAIRWISE], [item(n, r, ann("hh", pref=pick("a" if r.metadata["hh_chosen"] == 0 else "b")))
                                          for n, r in enumerate(recs, start=1)])

    def test_ids(salt: str, out: str) -> set[int]:
        res = export(src, "dpo", tmp_path / out, test_fraction=0.2, split_salt=salt)
        train = {json.loads(x)["record_id"] for x in res.paths["train"].read_text().splitlines()}
        test = [json.loads(x) for x in res.paths["test"].read_text().splitlines()]
        prompts = {json.dumps(r["prompt"]) for r in test}
        assert not any(json.dumps(json.loads(x)["prompt"]) in prompts for x in res.paths["train"].read_text().splitlines())
        assert len(train) + len(test) == res.rows
        return {r["record_id"] for r in test}

    a, again, other = test_ids("s1", "a"), test_ids("s1", "b"), test_ids("s2", "c")
    assert a == again and a != other and 0.1 < len(a) / len(recs) < 0.3


def test_card_gives_the_pipeline_history_of_pushed_records(db, settings, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Records pushed from a dataset version made by a pipeline: the card's lineage names the version, its
    parent and the steps that made it."""
    from tests.conftest import require_file

    from assay.datasets.schema import records_to_table
    from assay.datasets.store import DatasetStore
    from assay.formats import load_records
    from assay.services.accounts import users
    from assay.services.datasets import handoff
    from assay.services.projects import exports, projects

    recs = load_records(require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"), "hh")[:30]
    store = DatasetStore(settings.resolved_dataset_store)
    base = store.write_version("hh", [records_to_table(recs)])
    kept = store.write_version("hh-clean", [records_to_table(recs[:20])], parents=[base.ref],
                               steps=[{"id": "dedup", "step": "exact_dedup", "rows_in": 30, "kept": 20}])
    lead = users.add_user(db, "lead-card", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="hh-card", questions=[PAIRWISE]), lead)
    handoff.push(db, store, kept.ref, p.id, lead)
    src = exports.export_source(db, p.id)
    assert {it.record.source.split("#")[0] for it in src.items} == {kept.ref}
    assert f"dataset version {kept.ref}: 20 records (source `{kept.ref}#<id>`)" in src.lineage
    assert f"  - {kept.ref} (20 rows): from {base.ref}; steps: dedup" in src.lineage
    assert f"  - {base.ref} (30 rows): imported; steps: no steps" in src.lineage
    res = exports.export_project(db, p.id, "raw", out_dir=tmp_path / "raw")
    card = res.card_path.read_text(encoding="utf-8")
    assert f"\n  - {kept.ref} (20 rows): from {base.ref}; steps: dedup\n" in card
