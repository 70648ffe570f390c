"""SDK tests reuse the API fixtures: the real app in-process, people and tokens."""

from tests.api.conftest import _template, api_env, project  # noqa: F401
