"""The explorer's filter language and the pipeline `filter` step select exactly the same records."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.pipelines.conditions import compile_conditions, parse_condition
from assay.pipelines.steps.filtering import Filter
from assay.services.explorer import browse as explorer

pytestmark = pytest.mark.slow  # each filter checked on three engines: about 25 s

CASES = [
    ["chars<1500", "turns>=3"],
    ["prompt_chars>200"],
    ["meta.split=dev"],
    ["meta.split!=dev", "response_chars<=300"],
    ["text~kill"],
    ["text!~the"],
    ["judged=true"],
    ["judged=false"],
    ["agreement<0.7"],
    ["agreement?"],
    ["label=unsafe"],
    ["choice=b", "label!=unsafe"],
    ["model=", "n_completions=2"],
    ["id~5"],
    ["pii__count>0"],
    ["pii__count=0", "chars>2000"],
    ["pii__kinds?"],
    ["pii__kinds!?"],
    ["pii__kinds=email"],
    ["pii__kinds=email,phone", "turns>2"],
    ["pii__kinds!=email"],
    ["pii__kinds~phon"],
]
PII = [c for c in CASES if any(x.startswith("pii__") for x in c)]


def _all_ids(store, ref):  # type: ignore[no-untyped-def]
    return store.read_table(ref).column("id").to_pylist()


@pytest.mark.parametrize("ref", ["hh-clean@1", "hh-judged@1"])
def test_explorer_and_pipeline_select_the_same_records(xdb, explorer_store, ref):  # type: ignore[no-untyped-def]
    table = explorer_store.read_table(ref)
    cols = table.column_names
    nonempty = 0
    for conds in CASES:
        if conds in PII and "pii__count" not in cols:  # hh-judged was pulled, not cleaned: no pii columns
            with pytest.raises(Invalid, match="unknown field"):
                explorer.browse(xdb, ref, explorer.View(conditions=tuple(conds)))
            with pytest.raises(Invalid, match="unknown field"):
                Filter(match=conds).process(table)
            continue
        view = explorer.View(conditions=tuple(conds), per_page=200)
        got = [r["id"] for p in range(1, 5) for r in explorer.browse(xdb, ref, explorer.View(
            conditions=tuple(conds), per_page=200, page=p)).rows]
        total = explorer.browse(xdb, ref, view).total
        out = Filter(match=conds).process(table)
        want = out.table.column("id").to_pylist()
        assert got == want, conds
        assert total == len(want)
        nonempty += bool(want) and len(want) < table.num_rows
    assert nonempty >= 5  # the cases really discriminate


def test_pii_conditions_select_what_the_pii_step_found(xdb, explorer_store):  # type: ignore[no-untyped-def]
    """The PII cases run on the cleaned version (columns `pii__count`, `pii__kinds` from a real `pii` run)
    and select exactly the rows the attributes say, in the explorer and in the pipeline alike."""
    table = explorer_store.read_table("hh-clean@1")
    assert {"pii__count", "pii__kinds"} <= set(table.column_names)
    rows = table.select(["id", "pii__count", "pii__kinds"]).to_pylist()
    expect = {
        ("pii__count>0",): [r["id"] for r in rows if r["pii__count"] > 0],
        ("pii__kinds?",): [r["id"] for r in rows if r["pii__kinds"]],
        ("pii__kinds!?",): [r["id"] for r in rows if not r["pii__kinds"]],
        ("pii__kinds=email",): [r["id"] for r in rows if "email" in (r["pii__kinds"] or [])],
        ("pii__kinds!=email",): [r["id"] for r in rows if "email" not in (r["pii__kinds"] or [])],
    }
    assert 0 < len(expect[("pii__kinds?",)]) < len(rows)
    assert expect[("pii__kinds=email",)] or expect[("pii__count>0",)]
    for conds, want in expect.items():
        got = [r["id"] for p in range(1, 3) for r in explorer.browse(xdb, "hh-clean@1", explorer.View(
            conditions=conds, per_page=200, page=p)).rows]
        assert got == want, conds
        assert Filter(match=list(conds)).process(table).table.column("id").to_pylist() == want, conds


def test_search_equals_text_conditions(xdb, explorer_store):  # type: ignore[no-untyped-def]
    view = explorer.View(q='kill "how do"', per_page=200)
    page = explorer.browse(xdb, "hh-clean@1", view)
    out = Filter(**view.match_spec()).process(explorer_store.read_table("hh-clean@1"))
    assert [r["id"] for r in page.rows] == out.table.column("id").to_pylist()
    assert 0 < page.total < 200


def test_where_sql_is_shared_too(xdb, explorer_store):  # type: ignore[no-untyped-def]
    where = "len(messages) >= 4 AND json_extract_string(metadata, '$.split') = 'test'"
    got = explorer.browse(xdb, "hh@1", explorer.View(where=where, per_page=200)).rows
    want = Filter(where=where).process(explorer_store.read_table("hh@1")).table.column("id").to_pylist()
    assert [r["id"] for r in got] == want and want


def test_parse_and_reject():  # type: ignore[no-untyped-def]
    assert str(parse_condition("language__lang=en,de")) == "language__lang=en,de"
    assert parse_condition("chars<=10").op == "<="
    assert parse_condition("text!~x").op == "!~"
    assert parse_condition("near_dedup__near_dup_cluster?").op == "set"
    assert parse_condition("near_dedup__near_dup_cluster!?").op == "unset"
    for bad in ["nonsense", "chars<ten", "a b=1", "x'); DROP TABLE t; --=1"]:
        with pytest.raises(Invalid):
            parse_condition(bad)
    with pytest.raises(Invalid, match="unknown field"):
        compile_conditions(["nope=1"], ["id"])
    sql = compile_conditions(["meta.k=it's"], ["metadata"])
    assert "it''s" in sql


def test_file_access_is_blocked_in_where(xdb):  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        explorer.browse(xdb, "hh@1", explorer.View(where="(SELECT count(*) FROM read_csv('/etc/passwd')) > 0"))


@pytest.mark.parametrize("word", ["kil", "ill", "don't", "e-mail", "é", "the", "zzzzqq", "i'm", "2", "?"])
def test_word_index_answers_like_a_scan(xdb, explorer_store, word):  # type: ignore[no-untyped-def]
    """Search uses the word index; `text~word` in the pipeline scans: same records, also for pieces of
    words, punctuation and non-ASCII."""
    got = [r["id"] for p in (1, 2) for r in explorer.browse(xdb, "hh@1", explorer.View(q=word, per_page=200,
                                                                                        page=p)).rows]
    want = Filter(match=[f"text~{word}"]).process(explorer_store.read_table("hh@1")).table.column("id").to_pylist()
    assert got == want
