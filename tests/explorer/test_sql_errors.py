"""The explorer's SQL box answers a bad condition with the fields a person may use, never with DuckDB's
binder error naming the cache's internal columns (issue 19, item 8: `turns > 3` named `_f_turns`)."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.pipelines.conditions import DERIVED
from assay.services.explorer import browse as explorer

DOCUMENT = ["id", "messages", "completions", "metadata", "source"]


def _fails(xdb, where: str, ref: str = "hh@1") -> Invalid:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as e:
        explorer.browse(xdb, ref, explorer.View(where=where))
    msg = e.value.message
    assert "_f_" not in msg and "_rid" not in msg and "LINE 1" not in msg and "Candidate" not in msg, msg
    assert e.value.details["field"] == "where"
    assert "_f_turns" not in str(e.value.details)
    return e.value


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # DuckDB over files: the database is not involved
def test_a_derived_field_in_sql_says_how_to_filter_on_it(xdb) -> None:  # type: ignore[no-untyped-def]
    err = _fails(xdb, "turns > 3")
    assert "'turns' is a derived field" in err.message and "turns>" in err.message
    assert DERIVED["turns"][0] in err.message  # the SQL that computes it
    for col in DOCUMENT:
        assert col in err.message and col in err.details["columns"]
    # ... and that SQL, and the condition it suggests, both work and agree
    by_sql = explorer.browse(xdb, "hh@1", explorer.View(where=f"{DERIVED['turns'][0]} > 3", per_page=200)).total
    by_condition = explorer.browse(xdb, "hh@1", explorer.View(conditions=("turns>3",), per_page=200)).total
    assert by_sql == by_condition > 0


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_an_unknown_column_lists_the_usable_ones(xdb) -> None:  # type: ignore[no-untyped-def]
    for where in ("colour = 'red'", "records.turns > 3", '"Turns" > 1'):
        err = _fails(xdb, where)
        assert "not a column of this version" in err.message
        assert all(c in err.message for c in DOCUMENT), err.message


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_other_sql_errors_are_one_sentence(xdb) -> None:  # type: ignore[no-untyped-def]
    for where in ("id >", "nosuchfunction(id)", "messages + 1 > 2"):
        err = _fails(xdb, where)
        assert err.message.startswith("the SQL condition failed: ") and "\n" not in err.message
        assert "In SQL you may use: " in err.message


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_api_answers_the_explanation(xdb) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assay.services.accounts import auth, users
    from assay.web.app import create_app

    u = users.add_user(xdb, "sql-lead", "password123", "lead")
    app = create_app(xdb.settings, xdb)
    with TestClient(app, headers={"Authorization": f"Bearer {auth.create_api_token(xdb, u.id, 't')[0]}"}) as client:
        r = client.get("/api/v1/explore/hh@1/records", params={"where": "turns > 3"})
        assert r.status_code == 422, r.text
        assert "derived field" in r.text and "_f_turns" not in r.text
