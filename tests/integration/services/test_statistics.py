"""The admin's question statistics: the seed's Query 9 with filters, labels and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from nexus_app.models import Question, utcnow
from nexus_app.repositories import questions as question_repo
from nexus_app.services import auth, statistics
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.integration.repositories import factories as f


def _answered_by(session: Session, q: Question, users: list[int], correct: bool = True) -> None:
    for u in users:
        f.attempt(session, user_id=u, question_id=q.id or 0, is_correct=correct)


@dataclass(frozen=True)
class School:
    admin: CurrentUser
    main: int
    other: int
    ids: dict[str, int]


@pytest.fixture
def school(session: Session) -> School:
    """Two banks; items whose stored correct rates fall in every band of the seed's CASE."""
    admin = auth.create_user(username="admin1", password="kata-sandi-1", role="admin")
    users = [f.user(session).id or 0 for _ in range(12)]
    main = question_repo.create_question_bank(session=session, name="Bank A")
    other = question_repo.create_question_bank(session=session, name="Bank B")
    made = {
        "easy": f.question(session, correct_rate=0.9, attempt_count=40, bank_id=main.id),
        "hard": f.question(session, correct_rate=0.2, attempt_count=30, bank_id=main.id),
        "optimal": f.question(
            session, section="PK", correct_rate=0.5, attempt_count=20, bank_id=main.id
        ),
        "fine": f.question(session, correct_rate=0.75, attempt_count=50, bank_id=other.id),
        "nodata": f.question(session, correct_rate=None, attempt_count=10, bank_id=other.id),
        "few": f.question(session, correct_rate=0.5, attempt_count=99, bank_id=main.id),
        "gone": f.question(
            session, correct_rate=0.5, attempt_count=98, bank_id=main.id, deleted_at=utcnow()
        ),
    }
    for key in ("easy", "hard", "optimal", "fine", "nodata", "gone"):
        _answered_by(session, made[key], users[:10])
    _answered_by(session, made["few"], users[:9])
    # A deleted answer is no answer: "few" stays at 9 distinct students.
    f.attempt(session, user_id=users[10], question_id=made["few"].id or 0, deleted_at=utcnow())
    session.commit()
    return School(admin, main.id or 0, other.id or 0, {k: q.id or 0 for k, q in made.items()})


def test_labels_order_and_threshold(school: School) -> None:
    admin, ids = school.admin, school.ids
    rows = statistics.question_statistics(actor=admin)
    assert [(r.question_id, r.assessment.code) for r in rows] == [
        (ids["fine"], "ACCEPTABLE"),
        (ids["easy"], "TOO_EASY"),
        (ids["hard"], "TOO_HARD"),
        (ids["optimal"], "OPTIMAL"),
        (ids["nodata"], "NO_DATA"),
    ]
    assert [r.assessment.label for r in rows] == [
        "Dapat diterima",
        "Terlalu mudah",
        "Terlalu sulit",
        "Optimal",
        "Belum ada data",
    ]
    assert all(r.unique_users == 10 for r in rows)
    assert rows[1].correct_rate_percentage == 90.0
    assert "85%" in rows[1].assessment.explanation
    # Lowering the threshold lets the most attempted item (9 students) in, first.
    lower = statistics.question_statistics(actor=admin, min_users=9)
    assert lower[0].question_id == ids["few"]
    assert ids["gone"] not in {r.question_id for r in lower}


def test_filters_by_section_and_bank(school: School) -> None:
    admin, ids = school.admin, school.ids
    pk = statistics.question_statistics(actor=admin, section="PK")
    assert [r.question_id for r in pk] == [ids["optimal"]]
    main = statistics.question_statistics(actor=admin, bank_id=school.main)
    assert [r.question_id for r in main] == [ids["easy"], ids["hard"], ids["optimal"]]
    both = statistics.question_statistics(
        actor=admin,
        section="PU",
        bank_id=school.other,
    )
    assert [r.question_id for r in both] == [ids["fine"], ids["nodata"]]
    opts = statistics.options(actor=admin)
    assert [name for _, name in opts.banks] == ["Bank A", "Bank B"]
    assert "PU" in {code for code, _ in opts.sections}


def test_bad_filters_are_refused(school: School) -> None:
    admin = school.admin
    with pytest.raises(InvalidInput):
        statistics.question_statistics(actor=admin, min_users=0)
    with pytest.raises(InvalidInput):
        statistics.question_statistics(actor=admin, limit=7)
    with pytest.raises(NotFound):
        statistics.question_statistics(actor=admin, section="XX")
    with pytest.raises(NotFound):
        statistics.question_statistics(actor=admin, bank_id=999_999)


def test_csv_has_every_row_with_its_label(school: School) -> None:
    admin = school.admin
    rows = statistics.question_statistics(actor=admin)
    parsed = list(csv.DictReader(io.StringIO(statistics.statistics_csv(rows))))
    assert [int(r["id"]) for r in parsed] == [r.question_id for r in rows]
    assert parsed[1]["penilaian"] == "TOO_EASY" and parsed[1]["persen_benar"] == "90.0"
    assert parsed[4]["persen_benar"] == ""  # NO_DATA: no rate, an empty cell


def test_other_roles_are_refused(school: School) -> None:
    guru = auth.create_user(username="guru1", password="kata-sandi-1", role="guru")
    siswa = auth.create_user(username="siswa1", password="kata-sandi-1", role="siswa")
    for actor in (guru, siswa):
        with pytest.raises(PermissionDenied):
            statistics.question_statistics(actor=actor)
        with pytest.raises(PermissionDenied):
            statistics.options(actor=actor)
