"""A pipeline spec: a YAML file or a Python list of steps.

YAML form::

    name: hh-clean        # output dataset name (default: the input's name)
    shards: 8             # deterministic shards by hash of record id (default 8)
    steps:
      - filter: {min_chars: 20}
      - pii: {action: redact}
      - exact_dedup: {}
      - step: language    # the long form; `id` names the step's attributes (default: its name)
        id: lang
        keep: [en]

Python form: `PipelineSpec(steps=[Filter(min_chars=20), Pii()])` or `PipelineSpec.parse(dict_or_list)`.
Step ids must be unique; a repeated step name gets `_2`, `_3` appended.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.errors import Invalid
from assay.pipelines.base import Step
from assay.pipelines.registry import build_step


@dataclass
class PipelineSpec:
    """Steps to run, in order, plus the output name and shard count."""

    steps: list[Step]
    name: str = ""
    shards: int = 8
    source: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, data: dict[str, Any] | list[Any]) -> PipelineSpec:
        """Build from a parsed YAML document (a mapping with `steps`, or a bare list of steps)."""
        doc: dict[str, Any] = {"steps": data} if isinstance(data, list) else dict(data)
        unknown = sorted(set(doc) - {"name", "shards", "steps"})
        if unknown:
            raise Invalid(f"pipeline spec: unknown key(s) {', '.join(unknown)}; use name, shards, steps")
        raw = doc.get("steps") or []
        if not isinstance(raw, list) or not raw:
            raise Invalid("pipeline spec: `steps` must be a non-empty list")
        steps, source, seen = [], [], set()
        for i, entry in enumerate(raw):
            if isinstance(entry, str):
                name, params = entry, {}
            elif isinstance(entry, dict) and "step" in entry:
                params = {k: v for k, v in entry.items() if k != "step"}
                name = entry["step"]
            elif isinstance(entry, dict) and len(entry) == 1:
                name, params = next(iter(entry.items()))
                params = dict(params or {})
            else:
                raise Invalid(f"pipeline spec: step {i + 1} must be `- name: {{params}}` or have a `step:` key")
            sid = params.get("id") or name
            k = 2
            while sid in seen:
                sid, k = f"{params.get('id') or name}_{k}", k + 1
            seen.add(sid)
            params["id"] = sid
            source.append({"step": name, **params})
            steps.append(build_step(name, params))
        shards = int(doc.get("shards", 8))
        if not 1 <= shards <= 4096:
            raise Invalid(f"pipeline spec: shards must lie in 1..4096, got {shards}")
        return cls(steps=steps, name=str(doc.get("name") or ""), shards=shards, source=source)

    @classmethod
    def load(cls, path: str | Path) -> PipelineSpec:
        """Read a YAML spec file. Raises Invalid naming the file for YAML errors."""
        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as e:
            raise Invalid(f"cannot read pipeline spec {path}: {e}") from e
        return cls.parse(data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form stored in manifests (the source entries when parsed, else step descriptions)."""
        steps = self.source or [{"step": s.name, **s.describe()["params"], "id": s.id} for s in self.steps]
        return {"name": self.name, "shards": self.shards, "steps": steps}

    def key(self) -> str:
        """A hash of the spec, used to find an unfinished run of the same spec to resume."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]
