"""Every registered exporter is named where a user picks a format: the API schema's help for `format`, the export
route's description, `assay remote export --format` and the export form on the project overview; the form marks the
formats written in one fixed file format (its JSONL/Parquet select is disabled for them by export_form.js)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from assay.cli.generate import remote_export
from assay.exporters import EXPORTERS
from assay.exporters.registry import FIXED_FILE_FORMAT
from assay.schemas.exports import ExportCreate
from assay.web.api.exports import create_export

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "assay" / "web" / "templates"


def _names(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z-]*", text))


def test_the_schema_route_and_cli_help_name_every_exporter() -> None:
    schema_help = ExportCreate.model_fields["format"].description or ""
    cli_help = inspect.signature(remote_export).parameters["fmt"].default.help or ""
    route_doc = inspect.getdoc(create_export) or ""
    for where, text in [("ExportCreate.format", schema_help), ("assay remote export --format", cli_help),
                        ("POST /api/v1/projects/{id}/exports", route_doc)]:
        assert set(EXPORTERS) <= _names(text), f"{where} does not name {set(EXPORTERS) - _names(text)}"


def test_the_export_form_offers_every_exporter_and_marks_fixed_file_formats() -> None:
    html = (TEMPLATES / "project.html").read_text(encoding="utf-8")
    form = html.split("data-export-form", 1)[1].split("</form>", 1)[0]
    offered = dict(re.findall(r'<option value="([a-z-]+)"([^>]*)>', form.split('name="file_format"', 1)[0]))
    assert set(offered) == set(EXPORTERS)
    for fmt, attrs in offered.items():
        fixed = re.search(r'data-fixed-file-format="(\w+)"', attrs)
        assert (fixed.group(1) if fixed else None) == FIXED_FILE_FORMAT.get(fmt), fmt
    assert "/static/js/export_form.js" in html
