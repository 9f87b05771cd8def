"""Exposure control in adaptive practice and tryouts, with counts in the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, practice
from nexus_app.services.bank_import import import_bank

from .test_practice import _answer, _bank_csv


@pytest.fixture
def students(engine: Engine) -> list[auth.CurrentUser]:
    report = import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 24),
        bank_name="Uji",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    )
    assert report.ok
    return [
        auth.create_user(username=f"siswa0{i}", password="kata-sandi-1", role="siswa")
        for i in (1, 2)
    ]


def _counts(engine: Engine) -> tuple[int, dict[int, int]]:
    with engine.connect() as conn:
        examinees = conn.execute(
            sa.text("SELECT examinee_count FROM section_exposure WHERE section = 'PU'")
        ).scalar()
        items = conn.execute(sa.text("SELECT question_id, administered_count FROM item_exposure"))
        return int(examinees or 0), {int(q): int(n) for q, n in items}


def _store_counts(engine: Engine, examinees: int, counts: dict[int, int]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO section_exposure (section, examinee_count) VALUES ('PU', :n)"),
            {"n": examinees},
        )
        for qid, n in counts.items():
            conn.execute(
                sa.text(
                    "INSERT INTO item_exposure (question_id, administered_count) VALUES (:q, :n)"
                ),
                {"q": qid, "n": n},
            )


def _pu_items(engine: Engine) -> list[tuple[int, float, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, difficulty_irt, sub_type FROM questions "
                "WHERE section = 'PU' ORDER BY id"
            )
        )
        return [(int(i), float(b), str(s)) for i, b, s in rows]


def test_sessions_and_served_items_are_counted(engine: Engine, students) -> None:
    first, second = students
    view = practice.start_session(actor=first, section="PU")
    shown = [view.question_id]
    assert _counts(engine) == (1, {view.question_id: 1})
    # A reload shows the same item again: not a second showing.
    practice.current_question(actor=first, session_id=view.session_id)
    assert _counts(engine) == (1, {view.question_id: 1})
    for _ in range(3):
        _answer(view, first)
        view = practice.current_question(actor=first, session_id=view.session_id)
        shown.append(view.question_id)
    assert _counts(engine) == (1, dict.fromkeys(shown, 1))

    other = practice.start_session(actor=second, section="PU", mode="tryout")
    examinees, items = _counts(engine)
    assert examinees == 2 and sum(items.values()) == 5
    assert items[other.question_id] == (2 if other.question_id in shown else 1)


@pytest.mark.parametrize("mode", ["practice", "tryout"])
def test_items_over_the_cap_are_not_served(engine: Engine, students, mode: str) -> None:
    items = _pu_items(engine)
    # The first pick is a sub_type "a" item (content balancing: ties go by name) near
    # theta 0. Every item has been shown to 30 of 100 sessions except the hardest "a" one,
    # far outside the first difficulty window: exposure control must reach for it.
    hardest_a = max((b, qid) for qid, b, sub_type in items if sub_type == "a")[1]
    _store_counts(engine, 100, {qid: 30 for qid, _, _ in items if qid != hardest_a})
    view = practice.start_session(actor=students[0], section="PU", mode=mode)
    assert view.question_id == hardest_a
    assert _counts(engine)[0] == 101


def test_with_every_item_over_the_cap_practice_goes_on(engine: Engine, students) -> None:
    items = _pu_items(engine)
    _store_counts(engine, 10, {qid: 10 for qid, _, _ in items})
    view = practice.start_session(actor=students[0], section="PU")
    seen = {view.question_id}
    for _ in range(3):
        _answer(view, students[0])
        view = practice.current_question(actor=students[0], session_id=view.session_id)
        assert view is not None and view.question_id not in seen
        seen.add(view.question_id)
    _, items_after = _counts(engine)
    assert all(items_after[q] == 11 for q in seen)


def test_a_refused_start_counts_nothing(engine: Engine, students) -> None:
    from nexus_app.services.errors import InvalidInput

    with pytest.raises(InvalidInput):
        practice.start_session(actor=students[0], section="PU", sub_type="tidak-ada")
    assert _counts(engine) == (0, {})


def test_many_sessions_keep_items_under_the_cap(engine: Engine) -> None:
    # 40 items, 2-item sessions, 12 students: without exposure control the two most
    # informative items at theta 0 would go to every session.
    import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 40),
        bank_name="Uji",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    )
    for i in range(12):
        actor = auth.create_user(username=f"murid{i:02d}", password="kata-sandi-1", role="siswa")
        view = practice.start_session(actor=actor, section="PU", sub_type="a")
        _answer(view, actor)
        practice.current_question(actor=actor, session_id=view.session_id)
    examinees, items = _counts(engine)
    assert examinees == 12 and sum(items.values()) == 24
    # Cap 0.20 of 12 sessions: at most 2 showings once past the first few sessions
    # (the first sessions of a fresh bank cannot all be under the cap).
    assert max(items.values()) <= 0.20 * 12 + 2
