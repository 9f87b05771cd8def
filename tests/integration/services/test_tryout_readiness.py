"""Finished tryouts feed the dashboard's readiness, and the trend of totals (issue 11), on
both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.engine import readiness as engine_readiness
from nexus_app.models import utcnow
from nexus_app.services import auth, dashboard, onboarding, tryout
from nexus_app.services.errors import PermissionDenied
from nexus_app.services.tryout import readiness as tryout_readiness
from tests.integration.services.test_tryout import school  # noqa: F401  (fixture)

FUTURE = (date.today() + timedelta(days=120)).isoformat()


def _onboarded(name: str = "siswa01") -> auth.CurrentUser:
    student = auth.create_user(username=name, password="kata-sandi-1", role="siswa")
    onboarding.save_onboarding(
        actor=student, target_ptn="ITB", target_score="650", exam_date=FUTURE, hours="8"
    )
    return student


def _keys(engine: Engine, sitting_id: str, position: int) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.number, q.correct_answer FROM tryout_items i "
                "JOIN questions q ON q.id = i.question_id "
                "WHERE i.sitting_id = :s AND i.position = :p"
            ),
            {"s": sitting_id, "p": position},
        ).all()
    return {int(n): str(k) for n, k in rows}


def _sit(engine: Engine, student: auth.CurrentUser, blueprint: int, right: int) -> str:
    """A sitting with `right` PU items answered correctly, the rest of PU wrong, PK blank."""
    view = tryout.start_tryout(actor=student, blueprint_id=blueprint)
    for number, key in sorted(_keys(engine, view.sitting_id, 1).items()):
        answer = key if number <= right else ("A" if key != "A" else "B")
        tryout.answer_item(
            actor=student, sitting_id=view.sitting_id, position=1, number=number, answer=answer
        )
    tryout.end_section(actor=student, sitting_id=view.sitting_id, position=1)
    tryout.end_section(actor=student, sitting_id=view.sitting_id, position=2)
    return view.sitting_id


def _section_score(engine: Engine, sitting_id: str, code: str) -> tuple[float, float, float]:
    with engine.connect() as conn:
        theta, se, score = conn.execute(
            sa.text(
                "SELECT theta, se, score FROM tryout_sitting_sections "
                "WHERE sitting_id = :s AND section = :c"
            ),
            {"s": sitting_id, "c": code},
        ).one()
    return float(theta), float(se), float(score)


def _card(student: auth.CurrentUser, code: str) -> dashboard.ReadinessCard:
    return next(c for c in dashboard.student_dashboard(actor=student).cards if c.section == code)


def test_a_tryout_alone_gives_readiness_its_own_score(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    student = _onboarded()
    assert _card(student, "PU").answered == 0
    sitting = _sit(engine, student, school, right=3)
    theta, se, score = _section_score(engine, sitting, "PU")
    pu = _card(student, "PU")
    # No practice: the prior times the tryout's likelihood is the tryout's own EAP.
    assert pu.answered == 4 and pu.accuracy == pytest.approx(0.75)
    assert pu.score == pytest.approx(round(score), abs=1)
    low, high = engine_readiness.predicted_range(theta, se)
    assert (pu.predicted_low, pu.predicted_high) == pytest.approx((low, high), abs=1)
    assert pu.readiness_percentage == pytest.approx(
        engine_readiness.readiness_percentage(theta, se, 650), abs=0.5
    )
    assert pu.chance_of_target is not None
    # PK was left blank: no evidence of ability, so no readiness from it.
    assert _card(student, "PK").answered == 0


def test_practice_and_tryout_are_combined_by_precision(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    student = _onboarded()
    sitting = _sit(engine, student, school, right=4)
    theta_t, se_t, _ = _section_score(engine, sitting, "PU")
    # A practice belief: 10 answers, half right, theta -1 with a narrow SD, updated now.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE user_readiness SET current_theta = -1.0, theta_variance = 0.04, "
                "total_attempts_count = 10, overall_accuracy = 0.5, last_updated = :now "
                "WHERE section = 'PU'"
            ),
            {"now": utcnow()},
        )
    pu = _card(student, "PU")
    assert pu.answered == 14
    assert pu.accuracy == pytest.approx((5 + 4) / 14)
    # The tryout's reading (prior divided out) and the practice belief, weighted by precision.
    tryout_precision = 1 / se_t**2 - 1
    tryout_mean = theta_t / se_t**2 / tryout_precision
    expected = (-1.0 / 0.04 + tryout_mean * tryout_precision) / (1 / 0.04 + tryout_precision)
    assert pu.score == pytest.approx(500 + 100 * expected, abs=1.5)
    assert 400 < pu.score < 500 + 100 * theta_t  # pulled up from practice, mostly practice


def test_old_readings_weigh_less() -> None:
    now = utcnow()
    fresh = tryout_readiness.tryout_reading(
        tryout_readiness.SectionEvidence("s", "PU", now, 1.0, 0.5, 10, 7), now
    )
    old = tryout_readiness.tryout_reading(
        tryout_readiness.SectionEvidence("s", "PU", now - timedelta(days=60), 1.0, 0.5, 10, 7),
        now,
    )
    blank = tryout_readiness.tryout_reading(
        tryout_readiness.SectionEvidence("s", "PU", now, -2.0, 0.9, 0, 0), now
    )
    assert fresh is not None and old is not None and blank is None
    assert fresh.theta == pytest.approx(1.0 * 4 / 3)  # precision 4 - 1 = 3
    assert old.variance == pytest.approx(fresh.variance + 0.6)
    both = tryout_readiness.combine(tryout_readiness.Reading(0.0, 1.0), [fresh])
    assert both.theta == pytest.approx(1.0) and both.variance == pytest.approx(0.25)


def test_the_trend_has_one_point_per_finished_sitting(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    student = _onboarded()
    assert tryout.tryout_trend(actor=student) == []
    first = _sit(engine, student, school, right=1)
    tryout.start_tryout(actor=student, blueprint_id=school)  # running: not a point yet
    assert [p.sitting_id for p in tryout.tryout_trend(actor=student)] == [first]
    view = tryout.current_sitting(actor=student)
    assert view is not None
    tryout.end_section(actor=student, sitting_id=view.sitting_id, position=1)
    tryout.end_section(actor=student, sitting_id=view.sitting_id, position=2)
    points = tryout.tryout_trend(actor=student)
    assert [p.sitting_id for p in points] == [first, view.sitting_id]
    with engine.connect() as conn:
        totals = dict(conn.execute(sa.text("SELECT id, total_score FROM tryout_sittings")).all())
    assert [p.total for p in points] == [round(totals[p.sitting_id]) for p in points]
    assert all(p.blueprint_name == "Mini" for p in points)
    # Another student's sittings are not hers.
    assert tryout.tryout_trend(actor=_onboarded("siswa02")) == []
    teacher = auth.create_user(username="guru01", password="kata-sandi-1", role="guru")
    with pytest.raises(PermissionDenied):
        tryout.tryout_trend(actor=teacher)
