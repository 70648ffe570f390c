"""Assay: a self-hosted platform for making LLM post-training data.

The public SDK surface is what `__all__` lists; everything else is internal. Names are loaded on first use,
so `import assay.store` (or any other subpackage) does not pull in the HTTP client, and the import-linter
layers (web must not import sdk) hold even though `assay.web` reads `assay.__version__`.

    import assay
    client = assay.Client("http://127.0.0.1:8000", token="assay_…")
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Client": "assay.sdk.client",
    "ApiError": "assay.sdk.http",
    "AnnotationPublic": "assay.schemas",
    "DatasetPublic": "assay.schemas",
    "DatasetVersionPublic": "assay.schemas",
    "ExportPublic": "assay.schemas",
    "ExportSummaryPublic": "assay.schemas",
    "ImportPublic": "assay.schemas",
    "MessagePublic": "assay.schemas",
    "CompletionPublic": "assay.schemas",
    "ProjectCreate": "assay.schemas",
    "ProjectPublic": "assay.schemas",
    "QuestionPublic": "assay.schemas",
    "RecordCreate": "assay.schemas",
    "RecordPublic": "assay.schemas",
    "StoredRecordPublic": "assay.schemas",
    "SuggestionPublic": "assay.schemas",
    "UserPublic": "assay.schemas",
    "AssayError": "assay.errors",
    "Conflict": "assay.errors",
    "Forbidden": "assay.errors",
    "Invalid": "assay.errors",
    "NotFound": "assay.errors",
    "Unauthenticated": "assay.errors",
    "Unavailable": "assay.errors",
}

__all__ = [
    "AnnotationPublic",
    "ApiError",
    "AssayError",
    "Client",
    "CompletionPublic",
    "Conflict",
    "DatasetPublic",
    "DatasetVersionPublic",
    "ExportPublic",
    "ExportSummaryPublic",
    "Forbidden",
    "ImportPublic",
    "Invalid",
    "MessagePublic",
    "NotFound",
    "ProjectCreate",
    "ProjectPublic",
    "QuestionPublic",
    "RecordCreate",
    "RecordPublic",
    "StoredRecordPublic",
    "SuggestionPublic",
    "Unauthenticated",
    "Unavailable",
    "UserPublic",
    "__version__",
]

def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
