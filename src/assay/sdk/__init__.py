"""The Python SDK: `Client` over the REST API v1 (httpx), errors as `assay.errors` classes."""

from assay.sdk.client import Client
from assay.sdk.http import ApiError

__all__ = ["ApiError", "Client"]
