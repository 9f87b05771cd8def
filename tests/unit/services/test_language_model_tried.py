"""`tutor.language_model_tried`, which the fakes in the feedback tests stand in for."""

from __future__ import annotations

import threading

import pytest

from nexus_app.services import tutor


def test_false_until_the_process_has_loaded_its_model_or_found_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tutor, "_llm_state", {})
    assert not tutor.language_model_tried()
    monkeypatch.setattr(tutor, "_llm_state", {"model": None, "reason": "no model file"})
    assert tutor.language_model_tried()


def test_it_answers_while_a_load_holds_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tutor, "_llm_state", {})
    answers: list[bool] = []
    with tutor._llm_lock:  # as language_model() holds it for the seconds a load takes
        asker = threading.Thread(target=lambda: answers.append(tutor.language_model_tried()))
        asker.start()
        asker.join(timeout=5)
    assert answers == [False]
