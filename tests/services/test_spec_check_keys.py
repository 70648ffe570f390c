"""A key written twice in one YAML block is refused with its line: loaders keep the last silently, so a
second `settings:` block used to drop every setting of the first without a word (found by the lead journey)."""
from __future__ import annotations

from assay.services.projects.spec_check import check_text

BASE = """name: twice
title: Twice
questions:
  - name: better
    kind: pairwise
settings:
  edit_after_submit: true
"""


def test_a_second_settings_block_is_an_error_on_its_line() -> None:
    text = BASE + "settings:\n  gold: {first_n: 1}\n"
    checked = check_text(text)
    assert not checked.ok
    err = checked.errors[0]
    assert err.line == 8
    assert "written twice" in err.message and "line 6" in err.message


def test_one_settings_block_is_fine_and_merge_keys_are_not_repeats() -> None:
    assert check_text(BASE).ok
    text = BASE.replace("settings:\n  edit_after_submit: true\n",
                        "defaults: &d {edit_after_submit: true}\nsettings:\n  <<: *d\n  review: {}\n")
    checked = check_text(text)
    assert all("written twice" not in e.message for e in checked.errors)
