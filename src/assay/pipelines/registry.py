"""Steps by name: what a YAML spec's `- <name>: {params}` refers to.

Built-in steps are listed as `module:Class` strings and imported only when used, so importing the
registry is cheap and a step's optional dependency is never imported by accident. `near_dedup` lives in
`assay.pipelines.near_dedup` (class `NearDedup`); when that module does not exist, asking for it raises
Unavailable. `register(cls)` adds a step class of your own (its `name` is the key).
"""

from __future__ import annotations

import importlib
from typing import Any

from assay.errors import Invalid, Unavailable
from assay.pipelines.base import Step

BUILTIN: dict[str, str] = {
    "filter": "assay.pipelines.steps.filtering:Filter",
    "map": "assay.pipelines.steps.mapping:Map",
    "exact_dedup": "assay.pipelines.steps.dedup:ExactDedup",
    "pii": "assay.pipelines.steps.pii_step:Pii",
    "language": "assay.pipelines.steps.language:Language",
    "quality": "assay.pipelines.steps.quality:Quality",
    "decontaminate": "assay.pipelines.steps.decontam:Decontaminate",
    "sample": "assay.pipelines.steps.sampling:Sample",
    "llm_judge": "assay.pipelines.steps.judge:LlmJudge",
    "near_dedup": "assay.pipelines.near_dedup:NearDedup",
}

_custom: dict[str, type[Step]] = {}


def register(cls: type[Step]) -> type[Step]:
    """Register a step class under `cls.name` (usable as a decorator). Raises Invalid without a name."""
    if not cls.name:
        raise Invalid(f"step class {cls.__name__} has no `name`; set a class attribute name = '...'")
    _custom[cls.name] = cls
    return cls


def names() -> list[str]:
    """All step names that can be used in a spec."""
    return sorted(set(BUILTIN) | set(_custom))


def step_class(name: str) -> type[Step]:
    """The class of step `name`. Raises Invalid for an unknown name, Unavailable when its module is missing."""
    if name in _custom:
        return _custom[name]
    target = BUILTIN.get(name)
    if target is None:
        raise Invalid(f"unknown pipeline step {name!r}; known steps: {', '.join(names())}")
    module_name, cls_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise Unavailable(f"step {name!r} is not available in this installation ({module_name} "
                              "is missing)") from e
        raise
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise Unavailable(f"step {name!r}: {module_name} has no class {cls_name}")
    return cls  # type: ignore[no-any-return]


def build_step(name: str, params: dict[str, Any] | None = None) -> Step:
    """Instantiate step `name` with `params` and check its optional dependencies.

    Raises Invalid for unknown names or bad parameters (TypeError from the constructor is turned into
    Invalid naming the step), Unavailable when a dependency is missing (with the install command).
    """
    cls = step_class(name)
    try:
        step = cls(**(params or {}))
    except TypeError as e:
        raise Invalid(f"step {name!r}: bad parameters {params!r}: {e}") from e
    step.check()
    return step
