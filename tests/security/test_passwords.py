"""Password hashing in production: argon2id with at least OWASP's minimum parameters."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters


@pytest.mark.slow
def test_production_hasher_is_argon2id_with_owasp_minimums() -> None:
    """The module's own hasher, as production builds it: these tests swap `_hasher` for a cheap one, so
    load a second, untouched copy of the module and hash with that."""
    import importlib.util

    import assay.services.accounts.passwords as pw

    spec = importlib.util.spec_from_file_location("_passwords_as_shipped", pw.__file__)
    assert spec is not None and spec.loader is not None
    shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shipped)
    digest = shipped.hash_password("a-long-enough-password")
    assert digest.startswith("$argon2id$")
    params = extract_parameters(digest)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2
    assert extract_parameters(shipped._dummy_hash()) == params  # unknown users cost the same work


def test_verify_rejects_near_misses_and_unknown_users() -> None:
    from assay.services.accounts.passwords import hash_password, verify_password

    digest = hash_password("a-long-enough-password")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "a-long-enough-password")
    assert not verify_password(digest, "a-long-enough-passworD")
    assert not verify_password(None, "not-a-real-password")  # the dummy hash's own password
    assert not verify_password("not-a-hash", "x")
