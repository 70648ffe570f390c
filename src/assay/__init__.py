"""Assay: a self-hosted platform for making LLM post-training data.

The public SDK surface is what `__all__` lists; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
