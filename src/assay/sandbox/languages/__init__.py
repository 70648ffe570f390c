"""The languages code tasks can be written in, registered in one place (`REGISTRY`).

Each language is one module (see `assay.sandbox.languages.spec.Language`); to add one, write its module
and list it in `REGISTRY`. `language(name)` accepts a stored name or an alias ("js", "c++", "ts", "golang").
"""

from __future__ import annotations

from assay.errors import Invalid
from assay.sandbox.languages.cpp import CPP
from assay.sandbox.languages.go import GOLANG
from assay.sandbox.languages.java import JAVA
from assay.sandbox.languages.javascript import JAVASCRIPT
from assay.sandbox.languages.python import PYTHON
from assay.sandbox.languages.rust import RUST
from assay.sandbox.languages.spec import Language, Toolchain, end_marker
from assay.sandbox.languages.typescript import TYPESCRIPT

REGISTRY: dict[str, Language] = {lang.name: lang for lang in (PYTHON, JAVASCRIPT, TYPESCRIPT, CPP, JAVA, GOLANG, RUST)}
_ALIASES = {alias: lang.name for lang in REGISTRY.values() for alias in (lang.name, *lang.aliases)}

__all__ = ["REGISTRY", "Language", "Toolchain", "availability", "end_marker", "language", "normalize"]


def normalize(name: str) -> str:
    """The stored name of a language given any of its spellings; raises Invalid naming the known ones."""
    key = (name or "").strip().lower()
    if key not in _ALIASES:
        raise Invalid(f"unknown language {name!r}; use one of {', '.join(REGISTRY)}")
    return _ALIASES[key]


def language(name: str) -> Language:
    """The `Language` for any of its spellings (see `normalize`)."""
    return REGISTRY[normalize(name)]


def availability() -> dict[str, str | None]:
    """Each language's name → None when its toolchain is installed here, else why not and how to fix it."""
    return {name: lang.available() for name, lang in REGISTRY.items()}
