"""Source judgments over the API and SDK (issue 20, item 3): `Client.import_source_judgments` streams a data set
that carries its own preference to POST /api/v1/projects/{id}/source-judgments, which stores it as judgments by
the source annotator; leads only; a bad file names its line and stores nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import assay
from tests.api.conftest import ApiEnv
from tests.conftest import require_file

HH_LINES = 30


def _hh_head(shared_data: Path, tmp_path: Path) -> Path:
    """The first HH harmless lines (the real file, read in place) as a gzipped upload."""
    src = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    with gzip.open(src, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(HH_LINES)]
    path = tmp_path / "hh-head.jsonl.gz"
    path.write_bytes(gzip.compress("".join(lines).encode()))
    return path


def test_hh_chosen_side_through_the_sdk(api_env: ApiEnv, project: dict, shared_data: Path, tmp_path: Path) -> None:
    path = _hh_head(shared_data, tmp_path)
    with api_env.sdk("lead") as c:
        before = len(list(c.iter_annotations(project["id"])))
        got = c.import_source_judgments(project["id"], path, fmt="hh", question="preference", annotator="hh")
        assert (got.annotator, got.question, got.records_read) == ("ext-source-hh", "preference", HH_LINES)
        assert got.records_created == HH_LINES and got.records_existing == 0
        assert got.judgments_created > 0 and got.judgments_created + sum(got.skipped.values()) == HH_LINES
        stored = list(c.iter_annotations(project["id"]))
        assert len(stored) == before + got.judgments_created
        again = c.import_source_judgments("prefs", path, fmt="hh", question="preference", annotator="hh")
        assert again.records_created == 0 and again.records_existing == HH_LINES
        assert len(list(c.iter_annotations(project["id"]))) == len(stored)  # the same judgments, not twice
    from assay.services.projects.uploads import uploads_dir

    folder = uploads_dir(api_env.settings)
    assert not folder.exists() or not any(folder.iterdir()), "the server's copy of the upload was not removed"


def test_refusals_and_errors(api_env: ApiEnv, project: dict, shared_data: Path, tmp_path: Path) -> None:
    path = _hh_head(shared_data, tmp_path)
    with api_env.sdk("ann") as c, pytest.raises(assay.Forbidden):
        c.import_source_judgments(project["id"], path, fmt="hh", question="preference", annotator="hh")
    bad = tmp_path / "bad.jsonl"
    good_line = gzip.decompress(path.read_bytes()).decode().splitlines()[0]
    bad.write_text(good_line + "\n" + '{"chosen": "\\n\\nHuman: hi", "rejected": 3}\n', encoding="utf-8")
    with api_env.sdk("lead") as c:
        before = len(list(c.iter_records(project["id"])))
        with pytest.raises(assay.Invalid) as e:
            c.import_source_judgments(project["id"], bad, fmt="hh", question="preference", annotator="hh")
        assert e.value.details.get("line") == 2, e.value.details
        with pytest.raises(assay.Invalid) as e:
            c.import_source_judgments(project["id"], path, fmt="hh", question="nope", annotator="hh")
        assert "nope" in str(e.value)
        assert len(list(c.iter_records(project["id"]))) == before  # nothing stored by either
    r = api_env.raw("lead").post(f"/api/v1/projects/{project['id']}/source-judgments",
                                 params={"fmt": "csv", "question": "preference", "annotator": "hh"}, content=b"x")
    assert r.status_code == 422


FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.slow  # two real-format files through the SDK (1 s): CI runs it
def test_ultrafeedback_and_shp_through_the_sdk(api_env: ApiEnv, project: dict, tmp_path: Path) -> None:
    """The binarized UltraFeedback fixture (a tie, a missing score) and the SHP fixture over the API; a bad SHP
    row names its line and field and stores nothing."""
    with api_env.sdk("lead") as c:
        before = len(list(c.iter_annotations(project["id"])))
        got = c.import_source_judgments(project["id"], FIXTURES / "ultrafeedback" / "binarized.jsonl",
                                        fmt="ultrafeedback", question="preference", annotator="ultrafeedback")
        assert (got.annotator, got.records_read, got.records_created) == ("ext-source-ultrafeedback", 4, 4)
        assert (got.judgments_created, got.skipped) == (3, {"unrated_completion": 1})
        stored = [a for a in c.iter_annotations(project["id"])]
        assert len(stored) == before + 3
        assert "tie" in {a.answers["preference"]["choice"] for a in stored[before:]}
        rows = (FIXTURES / "shp" / "shp.jsonl").read_text(encoding="utf-8").splitlines()
        got = c.import_source_judgments(project["id"], FIXTURES / "shp" / "shp.jsonl", fmt="shp",
                                        question="preference", annotator="shp")
        assert (got.annotator, got.judgments_created, got.skipped) == ("ext-source-shp", len(rows), {})
        bad = tmp_path / "shp-bad.jsonl"
        bad.write_text("\n".join(rows[:2] + [rows[2].replace('"human_ref_B": "', '"human_ref_B": 3, "x": "')]) + "\n",
                       encoding="utf-8")
        records = len(list(c.iter_records(project["id"])))
        with pytest.raises(assay.Invalid) as e:
            c.import_source_judgments(project["id"], bad, fmt="shp", question="preference", annotator="shp2")
        assert (e.value.details.get("line"), e.value.details.get("field")) == (3, "human_ref_B"), e.value.details
        assert len(list(c.iter_records(project["id"]))) == records
