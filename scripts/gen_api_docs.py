"""Write docs/api-reference.md from the app's OpenAPI document (run: uv run python scripts/gen_api_docs.py).

tests/api/test_api_reference.py fails when the file is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADER = """# REST API reference

Generated from the OpenAPI document the server serves at `/api/v1/openapi.json` (interactive: `/api/docs`) by
`uv run python scripts/gen_api_docs.py`; do not edit by hand. How to authenticate, the error shape, cursors and
examples: [api.md](api.md).

"""


def _schema_name(s: dict[str, Any]) -> str:
    if "$ref" in s:
        return s["$ref"].rsplit("/", 1)[-1]
    if s.get("type") == "array":
        return f"list[{_schema_name(s.get('items', {}))}]"
    if "anyOf" in s:
        return " | ".join(_schema_name(x) for x in s["anyOf"])
    return str(s.get("type", "object"))


def render() -> str:
    import tempfile

    from assay.config import load_settings
    from assay.store.db import open_db
    from assay.web.app import create_app

    with tempfile.TemporaryDirectory() as d:
        settings = load_settings(data_dir=Path(d))
        db = open_db(settings)
        try:
            spec = create_app(settings, db).openapi()
        finally:
            db.close()
    parts = [HEADER]
    by_tag: dict[str, list[str]] = {}
    for path, methods in sorted(spec["paths"].items()):
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            lines = [f"### `{method.upper()} /api/v1{path}`" if not path.startswith("/api") else
                     f"### `{method.upper()} {path}`", ""]
            summary = (op.get("description") or op.get("summary") or "").strip()
            if summary:
                lines += [summary, ""]
            params = op.get("parameters", [])
            if params:
                lines += ["| parameter | in | type | required |", "|---|---|---|---|"]
                for p in params:
                    lines.append(f"| `{p['name']}` | {p['in']} | {_schema_name(p.get('schema', {}))} | "
                                 f"{'yes' if p.get('required') else 'no'} |")
                lines.append("")
            body = op.get("requestBody", {}).get("content", {})
            for ctype, c in body.items():
                lines += [f"Body ({ctype}): `{_schema_name(c.get('schema', {}))}`", ""]
            for code, r in sorted(op.get("responses", {}).items()):
                content = r.get("content", {}).get("application/json", {})
                shape = f" → `{_schema_name(content['schema'])}`" if content.get("schema") else ""
                if int(code) >= 400:  # every error is rendered by web/errors.py in one shape
                    shape = " → `ErrorPublic` (`{\"error\": {\"code\", \"message\", \"details\"}}`)"
                lines.append(f"- `{code}` {r.get('description', '')}{shape}")
            by_tag.setdefault(tag, []).append("\n".join(lines) + "\n")
    for tag in sorted(by_tag):
        parts.append(f"## {tag}\n\n" + "\n".join(by_tag[tag]) + "\n")
    schemas = spec.get("components", {}).get("schemas", {})
    parts.append("## Schemas\n\n")
    for name in sorted(n for n in schemas if n not in ("HTTPValidationError", "ValidationError")):
        s = schemas[name]
        parts.append(f"### {name}\n\n")
        if s.get("description"):
            parts.append(s["description"].strip() + "\n\n")
        props = s.get("properties", {})
        if props:
            req = set(s.get("required", []))
            parts.append("| field | type | required | description |\n|---|---|---|---|\n")
            for k, v in props.items():
                desc = (v.get("description") or "").replace("\n", " ").replace("|", "\\|")
                parts.append(f"| `{k}` | {_schema_name(v)} | {'yes' if k in req else 'no'} | {desc} |\n")
            parts.append("\n")
    return "".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "api-reference.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target} ({len(json.dumps(render()))} chars)")
