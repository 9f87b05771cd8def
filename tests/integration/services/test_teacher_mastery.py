"""Mastery, weak areas and the teacher's class view on both databases."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.db import unit_of_work
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth, mastery, practice, teacher
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput, PermissionDenied
from tests.integration.services.test_practice import _bank_csv


@pytest.fixture
def school(engine: Engine) -> dict[str, auth.CurrentUser]:
    assert import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 30, ("induktif", "deduktif")),
        bank_name="Uji",
        mark_reviewed_by=["A", "B"],
    ).ok
    people = {
        "ani": auth.create_user(
            username="ani", password="kata-sandi-1", role="siswa", class_name="XII-1"
        ),
        "budi": auth.create_user(
            username="budi", password="kata-sandi-1", role="siswa", class_name="XII-2"
        ),
        "guru1": auth.create_user(username="guru1", password="kata-sandi-1", role="guru"),
        "admin": auth.create_user(username="admin1", password="kata-sandi-1", role="admin"),
    }
    with unit_of_work() as session:
        user_repo.assign_class(session=session, teacher_id=people["guru1"].id, class_name="XII-1")
        user_repo.assign_class(
            session=session, teacher_id=people["guru1"].id, class_name="XII-1"
        )  # idempotent
    return people


def _practise(actor: auth.CurrentUser, answers: int, letter: str) -> str:
    view = practice.start_session(actor=actor, section="PU")
    for _ in range(answers):
        practice.submit_answer(
            actor=actor,
            session_id=view.session_id,
            question_id=view.question_id,
            position=view.position,
            answer=letter,
        )
        view = practice.current_question(actor=actor, session_id=view.session_id)
    practice.end_session(actor=actor, session_id=view.session_id)
    return view.session_id


def test_wrong_answers_lower_mastery_and_open_weak_areas(engine: Engine, school) -> None:
    _practise(school["ani"], 8, "C")  # every answer wrong
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT topic, mastery_level, question_count, correct_count FROM topic_mastery "
                "WHERE section = 'PU' ORDER BY topic"
            )
        ).all()
        weak = conn.execute(
            sa.text(
                "SELECT topic, weakness_score, recommended_practice FROM weak_areas "
                "WHERE resolved_at IS NULL ORDER BY topic"
            )
        ).all()
    assert {r.topic for r in rows} == {"deduktif", "induktif"}
    assert all(r.mastery_level < 0.4 and r.correct_count == 0 for r in rows)
    assert sum(r.question_count for r in rows) == 8
    assert {w.topic for w in weak} == {"deduktif", "induktif"}
    assert all("latihan" in w.recommended_practice for w in weak)


def test_a_recovered_topic_is_resolved_not_deleted(engine: Engine, school) -> None:
    _practise(school["ani"], 8, "C")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE topic_mastery SET mastery_level = 0.9"))
    with unit_of_work() as session:
        assert mastery.detect_for_user(session, school["ani"].id) == 0
    with engine.connect() as conn:
        open_, total = conn.execute(
            sa.text(
                "SELECT SUM(CASE WHEN resolved_at IS NULL THEN 1 ELSE 0 END), COUNT(*) "
                "FROM weak_areas"
            )
        ).one()
    assert open_ == 0 and total == 2


def test_detect_all_weak_areas_counts_open_ones(engine: Engine, school) -> None:
    _practise(school["ani"], 6, "C")
    _practise(school["budi"], 6, "B")  # every answer right
    assert mastery.detect_all_weak_areas() == 2


def test_heatmap_shows_only_the_teachers_classes(engine: Engine, school) -> None:
    _practise(school["ani"], 6, "B")
    _practise(school["budi"], 6, "C")
    mine = teacher.class_overview(actor=school["guru1"], view_key="section:PU")
    assert [r.username for r in mine.rows] == ["ani"]
    assert mine.topics == ["deduktif", "induktif"]
    cells = mine.rows[0].cells
    assert [c.topic_slug for c in cells] == ["deduktif", "induktif"]
    assert all(c.mastery is not None and c.mastery > 0.5 for c in cells)
    with pytest.raises(PermissionDenied):
        teacher.class_overview(actor=school["guru1"], view_key="section:PU", class_name="XII-2")
    with pytest.raises(PermissionDenied):
        teacher.drilldown(
            actor=school["guru1"], username="budi", view_key="section:PU", topic="induktif"
        )
    everyone = teacher.class_overview(actor=school["admin"], view_key="section:PU")
    assert sorted(r.username for r in everyone.rows) == ["ani", "budi"]
    assert [i.username for i in everyone.intervention] == []
    with pytest.raises(PermissionDenied):
        teacher.class_overview(actor=school["ani"], view_key="section:PU")
    with pytest.raises(InvalidInput):
        teacher.class_overview(actor=school["admin"], view_key="section:XX")


def test_drilldown_lists_the_students_attempts_on_the_topic(engine: Engine, school) -> None:
    _practise(school["ani"], 6, "B")
    drill = teacher.drilldown(
        actor=school["guru1"], username="ani", view_key="section:PU", topic="induktif"
    )
    assert drill.username == "ani" and len(drill.attempts) == 3
    assert all(a.is_correct for a in drill.attempts)
    masteries = [a.mastery_after for a in reversed(drill.attempts)]
    assert masteries == sorted(masteries)  # only right answers: mastery only rises
    assert drill.mastery == pytest.approx(masteries[-1], abs=1e-6)


def test_reports_as_csv(engine: Engine, school) -> None:
    _practise(school["ani"], 4, "B")
    overview = teacher.class_overview(actor=school["admin"], view_key="section:PU")
    weekly = list(csv.reader(io.StringIO(teacher.weekly_csv(overview))))
    assert weekly[0][0] == "username" and len(weekly) == 3
    ani = next(r for r in weekly if r[0] == "ani")
    assert ani[3] == "4" and ani[5] == "1"
    summary = list(csv.reader(io.StringIO(teacher.summary_csv(overview))))
    assert [r[0] for r in summary[1:]] and len(summary) == 3
    assert teacher.slug("Kecukupan Data / 2") == "kecukupan-data-2"
