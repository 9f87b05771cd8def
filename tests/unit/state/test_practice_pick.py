"""The browser keeps the student's pick as "<question_id>:<letter>" (state/practice.py PICK)."""

from __future__ import annotations

import pytest

from nexus_app.state.practice import picked_letter


@pytest.mark.parametrize(
    ("pick", "question_id", "letter"),
    [
        ("12:B", 12, "B"),
        ("12:E", 12, "E"),
        ("11:B", 12, ""),  # left over from the previous question
        ("112:B", 12, ""),
        ("12:b", 12, ""),  # the page only ever stores capitals
        ("12:F", 12, ""),
        ("12:", 12, ""),
        ("", 12, ""),
        ("B", 12, ""),
        ("12:B:C", 12, ""),
    ],
)
def test_a_pick_counts_only_for_the_question_it_was_made_on(
    pick: str, question_id: int, letter: str
) -> None:
    assert picked_letter(pick, question_id) == letter
