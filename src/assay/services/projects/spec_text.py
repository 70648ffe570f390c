"""The project editor's YAML text: a settings mapping written the way the editor shows it."""

from __future__ import annotations

from typing import Any

import yaml

from assay.services.projects.spec_check import QUESTION_KEYS, TOP_KEYS


def spec_yaml(data: dict[str, Any]) -> str:
    """The settings mapping as the editor shows it: keys in a fixed order, multi-line text as `|` blocks,
    question fields left out when they hold their defaults."""
    out: dict[str, Any] = {k: data[k] for k in TOP_KEYS if k in data and k != "questions" and k != "settings"}
    qs = []
    for q in data.get("questions") or []:
        if not isinstance(q, dict):
            qs.append(q)
            continue
        item = {k: q[k] for k in ("name", "kind", "title", "help") if q.get(k) not in (None, "")}
        if q.get("required", True) is not True:
            item["required"] = q.get("required")
        if q.get("options"):
            item["options"] = q["options"]
        item.update({k: v for k, v in q.items() if k not in QUESTION_KEYS})
        qs.append(item)
    out["questions"] = qs
    if data.get("settings"):
        out["settings"] = data["settings"]
    out.update({k: v for k, v in data.items() if k not in TOP_KEYS})
    return yaml.dump(out, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = bool(value) and all(isinstance(v, (str, int, float, bool)) and len(str(v)) < 40 for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)
