"""Phrase, punctuation and non-ASCII search through the real cache build and word/boundary index: every
count and every id list equals a plain DuckDB scan of the version with the same rule (lower-cased text of
every message and completion, joined by newlines, contains the term), computed without the cache."""

from __future__ import annotations

import duckdb
import pytest

from assay.datasets import DatasetStore, records_to_table
from assay.domain.records import Completion, Message, Record
from assay.pipelines.conditions import DERIVED
from assay.services.explorer import browse as explorer
from assay.services.explorer import search as explorer_search

TEXTS = [
    "How do I reset my e-mail password?", "Show dogs are groomed daily.", "how  do you do", "HOW DO YOU DO!",
    "I don't know.", "We don’t know (curly apostrophe).", "Don't-care values", "London't is not a word",
    "Send an E-Mail to bob@example.com", "email me", "e - mail", "the e-mail-address field",
    "Café crème brûlée", "CAFÉ au lait", "Über alles, über Straße", "東京で会いましょう", "京都と東京",
    "Привет, как дела?", "ПРИВЕТ мир", "naïve façade", "mañana, señor", "it's 5 €, not 5$",
    "a--b a---b a-b", "tab\tseparated\twords", "dot.separated.words", "x...y", "(parenthesised)",
    "don't don't don't", "somehow do it", "how\ndo", "end with how", "do at the start", "",
    "ends with a hyphen-", "-starts with one", "100% sure, 50/50", "C++ and C#", "what?! really?!",
    "He said “don’t” and left — E-Mail him.", "l'été à Paris", "a.b.c.d.e.f.g.h.i.j",
    "word          spaced          far", "Ελληνικά κείμενα", "ΑΒΓ αβγ",
    "$5 at the start", "costs $5", "$50 or $5.", "x          $5 after a long gap", "5% off", "off by 5%",
    "5%", "$5", "  two leading spaces", "two trailing spaces  ", "(start) and [end]", "¿qué? ¡sí!",
    "ends with a long gap          ", "          starts after a long gap", "-", "über-cool -über",
]

QUERIES = [
    "how do", "HOW DO", "w do", "how d", "ow do y", "how  do", "how\ndo", "don't", "don’t", "n't", "on't k",
    "e-mail", "e-mail-address", "-mail", "e-", "mail", "e - mail", "café", "CAFÉ", "über", "straße", "東京",
    "京", "привет", "как дела", "naïve façade", "señor", "5 €", "5$", "a--b", "a-b", "--", "?", "?!", "...",
    "x...y", "(", "c++", "c#", "50/50", "%", "“don’t”", "— e-mail", "l'été", "à paris", "b.c.d.e.f",
    "word          spaced", "ελληνικά", "αβγ", "with how", "do at", "hyphen-", "-starts", "", "zzz qq", "t d",
    "o", "ow", "do it", "dogs are", "e-mail password?",
    "$5", "$50", "$5.", "5%", "5% ", " 5%", "$", "-s", "n-", "-ü", "-über", "r-", "über-", "(s", "d)", "[e",
    " $5", "  two", "s  ", "ap ", " x", "x ", "\nd", "o\n", " gap", "gap ", "gap  ", "  gap", "? ¡", "¿q",
    "é?", "sí!", "! ", "$5 a", "g $5", "t ", " a",
]


def _record(i: int, text: str) -> Record:
    # spread each text over a user message, an assistant message and a completion, so phrases also cross
    # the newline that joins them
    a, _, b = text.partition(" ")
    return Record(external_id=f"r{i}", messages=[Message("user", a), Message("assistant", b)],
                  completions=[Completion(text=text, model="m")] if i % 2 else [])


@pytest.fixture(scope="module")
def phrase_store(tmp_path_factory: pytest.TempPathFactory) -> DatasetStore:
    store = DatasetStore(str(tmp_path_factory.mktemp("phrases") / "store"))
    recs = [_record(i, t) for i, t in enumerate(TEXTS * 3)]
    half = len(recs) // 2  # two files, so row numbers continue across parts
    store.write_version("phr", [records_to_table(recs[:half]), records_to_table(recs[half:])])
    return store


@pytest.fixture
def pdb(db, phrase_store, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(explorer, "WAIT_SECONDS", 60.0)
    db.settings.dataset_store = phrase_store.url
    yield db


def _scan(store: DatasetStore, term: str) -> list[str]:
    """The ids a plain DuckDB scan of the version's rows finds (no cache, no index)."""
    t = store.read_table("phr@1")
    con = duckdb.connect()
    con.register("v", t)
    return [r[0] for r in con.execute(f"SELECT id FROM (SELECT id, row_number() OVER () AS n, lower("
                                      f"{DERIVED['text'][0]}) AS x FROM v) WHERE contains(x, ?) ORDER BY n",
                                      [term.lower()]).fetchall()]


@pytest.mark.slow  # real data or a real cache build, a few seconds: out of the fast loop
def test_phrase_counts_equal_a_plain_scan(pdb, phrase_store):  # type: ignore[no-untyped-def]
    """One cache build, every query (a test per query would rebuild the cache each time)."""
    wrong = []
    for term in QUERIES:
        want = _scan(phrase_store, term) if term else [f"r{i}" for i in range(len(TEXTS) * 3)]
        page = explorer.browse(pdb, "phr@1", explorer.View(q=f'"{term}"' if term else "", per_page=200))
        if page.total != len(want) or [r["id"] for r in page.rows] != want:
            wrong.append((term, page.total, len(want)))
    assert wrong == []


def test_two_terms_and_one_exact_phrase(pdb, phrase_store):  # type: ignore[no-untyped-def]
    want = [i for i in _scan(phrase_store, "my e-mail") if i in set(_scan(phrase_store, "password?"))]
    page = explorer.browse(pdb, "phr@1", explorer.View(q='"my e-mail" password?', per_page=200))
    assert [r["id"] for r in page.rows] == want and page.total == len(want) > 0


def test_index_alone_answers_short_phrases(pdb, phrase_store, tmp_path):  # type: ignore[no-untyped-def]
    """Two pieces of at most K bytes around one short separator need no check on the text."""
    explorer.browse(pdb, "phr@1", explorer.View(q="x"))
    store = explorer.store_of(pdb)
    m = store.resolve("phr@1")
    ix = explorer_search.load_index(explorer.cache_dir(explorer.cache_root(pdb), m), m.row_count)
    for term in ("how do", "don't", "e-mail", "café", "東京", "n't"):
        rows, check = explorer_search.candidates(ix, [term])
        assert check == [], term
        assert len(rows) == len(_scan(phrase_store, term)), term
    assert explorer_search.candidates(ix, ["e-mail password"])[1] == ["e-mail password"]


def test_index_alone_answers_a_leading_or_trailing_separator(pdb, phrase_store):  # type: ignore[no-untyped-def]
    """A separator of at most SEP_MAX bytes on one end and one piece of at most K bytes: boundary keys and
    the edge keys (row start and end, long separators) answer it without the text, at the row's edges
    and after a long separator too."""
    explorer.browse(pdb, "phr@1", explorer.View(q="x"))
    store = explorer.store_of(pdb)
    m = store.resolve("phr@1")
    ix = explorer_search.load_index(explorer.cache_dir(explorer.cache_root(pdb), m), m.row_count)
    for term in ("$5", "$50", "-mail", "5%", "5% ", " far", "far ", "  two", "-s", "n-", "-ü", "(s", "d)", "¿q", "é?",
                 " gap", "gap ", "gap  ", "  gap"):
        rows, check = explorer_search.candidates(ix, [term])
        assert check == [], term
        assert [f"r{r}" for r in rows.tolist()] == _scan(phrase_store, term), term
    for term in ("$50000", "$5%", " 5% ", "$5 a", "-starts", "hyphen-"):  # a long piece, or more than one constraint
        assert explorer_search.candidates(ix, [term])[1] == [term], term


def test_selection_table_holds_exactly_the_searched_rows(pdb, phrase_store):  # type: ignore[no-untyped-def]
    """What an export or a push takes: a term the index answers alone (such a selection once exported every
    row), a term checked on the text, and each with a condition, exactly the rows of a plain scan."""
    t = phrase_store.read_table("phr@1")
    one = {r["id"] for r in t.to_pylist() if len(r["completions"] or []) == 1}
    for q, conds in (("e-mail", ()), ("$5", ()), ('"e-mail password?"', ()), ('"how do you"', ()),
                     ("-mail", ("n_completions=1",)), ('"do you"', ("n_completions=1",))):
        want = [i for i in _scan(phrase_store, q.strip('"')) if not conds or i in one]
        table = explorer.selection_table(pdb, "phr@1", explorer.View(q=q, conditions=conds))[1]
        assert table.column("id").to_pylist() == want and want, q
