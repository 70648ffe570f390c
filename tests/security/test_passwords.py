"""Password hashing in production: argon2id with at least OWASP's minimum parameters."""

from __future__ import annotations

from argon2 import extract_parameters


def test_production_hasher_is_argon2id_with_owasp_minimums() -> None:
    import assay.services.passwords as pw

    # _DUMMY_HASH is made at import time by the production hasher (these tests swap in a cheap one later)
    assert pw._DUMMY_HASH.startswith("$argon2id$")
    params = extract_parameters(pw._DUMMY_HASH)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2


def test_verify_rejects_near_misses_and_unknown_users() -> None:
    from assay.services.passwords import hash_password, verify_password

    digest = hash_password("a-long-enough-password")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "a-long-enough-password")
    assert not verify_password(digest, "a-long-enough-passworD")
    assert not verify_password(None, "not-a-real-password")  # the dummy hash's own password
    assert not verify_password("not-a-hash", "x")
