"""Weak areas and "students needing intervention" on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from nexus_app.models import WeakArea, utcnow
from nexus_app.repositories import weak_areas

from . import factories as f


def test_record_weak_area_inserts_once_per_open_topic(session: Session) -> None:
    student = f.user(session)
    mat = f.subject(session)
    first = weak_areas.record_weak_area(
        session=session,
        user_id=student.id,
        subject_id=mat.id,
        topic="Pythagoras",
        weakness_score=0.6,
    )
    again = weak_areas.record_weak_area(
        session=session,
        user_id=student.id,
        subject_id=mat.id,
        topic="Pythagoras",
        weakness_score=0.8,
        recommended_practice="Latihan soal segitiga siku-siku",
    )
    assert again.id == first.id and again.weakness_score == 0.8
    # Same topic name under a UTBK section is a different weak area.
    section_row = weak_areas.record_weak_area(
        session=session, user_id=student.id, section="PK", topic="Pythagoras"
    )
    assert section_row.id != first.id
    assert len(session.exec(select(WeakArea)).all()) == 2


def test_resolved_weak_area_is_history_and_a_relapse_opens_a_new_one(session: Session) -> None:
    student = f.user(session)
    first = weak_areas.record_weak_area(
        session=session, user_id=student.id, section="PU", topic="Silogisme"
    )
    resolved = weak_areas.resolve_weak_areas(
        session=session, user_id=student.id, section="PU", topic="Silogisme", now=utcnow()
    )
    assert resolved == 1
    assert weak_areas.list_open_weak_areas(session=session, user_id=student.id) == []
    relapse = weak_areas.record_weak_area(
        session=session, user_id=student.id, section="PU", topic="Silogisme"
    )
    assert relapse.id != first.id
    session.expire_all()
    assert first.resolved_at is not None and relapse.resolved_at is None


def test_list_open_weak_areas_orders_by_score_and_filters(session: Session) -> None:
    student, other = f.user(session), f.user(session)
    mat = f.subject(session)

    def rec(user_id: int, topic: str, score: float | None, **owner: object) -> None:
        weak_areas.record_weak_area(
            session=session, user_id=user_id, topic=topic, weakness_score=score, **owner
        )

    rec(student.id, "A", 0.3, subject_id=mat.id)
    rec(student.id, "B", 0.9, subject_id=mat.id)
    rec(student.id, "C", None, subject_id=mat.id)
    rec(student.id, "D", 0.5, section="PK")
    rec(other.id, "E", 1.0, subject_id=mat.id)
    weak_areas.resolve_weak_areas(session=session, user_id=student.id, subject_id=mat.id, topic="A")
    rows = weak_areas.list_open_weak_areas(session=session, user_id=student.id)
    assert [r.topic for r in rows] == ["B", "D", "C"]  # NULL score last, resolved A gone
    only_mat = weak_areas.list_open_weak_areas(
        session=session, user_id=student.id, subject_id=mat.id
    )
    assert [r.topic for r in only_mat] == ["B", "C"]
    only_pk = weak_areas.list_open_weak_areas(session=session, user_id=student.id, section="PK")
    assert [r.topic for r in only_pk] == ["D"]


def test_students_needing_intervention_applies_having_threshold(session: Session) -> None:
    budi = f.user(session, "budi", full_name="Budi", class_name="XII IPA 1")
    sari = f.user(session, "sari", class_name="XII IPA 2")
    eko = f.user(session, "eko", class_name="XII IPA 1")
    guru = f.user(session, "guru", role="guru")
    gone = f.user(session, "gone", deleted_at=utcnow())
    mat = f.subject(session, name="Matematika")
    fis = f.subject(session, name="Fisika")

    def weak(user_id: int, n: int, **owner: object) -> None:
        for i in range(n):
            weak_areas.record_weak_area(session=session, user_id=user_id, topic=f"t{i}", **owner)

    weak(budi.id, 4, subject_id=mat.id)  # in
    weak(budi.id, 2, subject_id=fis.id)  # below threshold in this subject
    weak(sari.id, 3, section="PK")  # in, via a UTBK section (the seed's inner join dropped it)
    weak(eko.id, 3, subject_id=fis.id)
    weak_areas.resolve_weak_areas(session=session, user_id=eko.id, subject_id=fis.id, topic="t0")
    weak(guru.id, 5, subject_id=mat.id)  # not a student
    weak(gone.id, 5, subject_id=mat.id)  # deleted account

    rows = weak_areas.list_students_needing_intervention(session=session)
    assert [(r.username, r.area, r.weak_area_count) for r in rows] == [
        ("budi", "Matematika", 4),
        ("sari", "PK", 3),
    ]
    assert rows[0].full_name == "Budi" and rows[0].subject_id == mat.id
    # eko's resolved weak area does not count; a lower threshold brings him and budi/Fisika in.
    rows = weak_areas.list_students_needing_intervention(session=session, min_weak_areas=2)
    assert [(r.username, r.area, r.weak_area_count) for r in rows] == [
        ("budi", "Matematika", 4),
        ("sari", "PK", 3),
        ("budi", "Fisika", 2),
        ("eko", "Fisika", 2),
    ]
    one_class = weak_areas.list_students_needing_intervention(
        session=session, min_weak_areas=2, class_name="XII IPA 1"
    )
    assert {r.username for r in one_class} == {"budi", "eko"}
