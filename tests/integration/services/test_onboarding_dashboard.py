"""Onboarding and the student dashboard on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, dashboard, onboarding, practice
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput, PermissionDenied
from tests.integration.services.test_practice import _bank_csv

FUTURE = (date.today() + timedelta(days=120)).isoformat()


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 12), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    return auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")


def test_onboarding_creates_a_readiness_row_per_section(engine: Engine, student) -> None:
    onboarding.save_onboarding(
        actor=student, target_ptn="ITB", target_score="650", exam_date=FUTURE, hours="10"
    )
    with engine.connect() as conn:
        user = conn.execute(
            sa.text(
                "SELECT target_ptn, target_score, exam_date, study_hours_per_week, "
                "onboarding_completed FROM users"
            )
        ).one()
        sections = conn.execute(
            sa.text("SELECT section, target_theta FROM user_readiness ORDER BY section")
        ).all()
    assert user.target_ptn == "ITB" and user.target_score == 650
    assert str(user.exam_date) == FUTURE and user.study_hours_per_week == 10
    assert bool(user.onboarding_completed)
    assert {s for s, _ in sections} == {"PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM"}
    assert all(t == pytest.approx(1.5) for _, t in sections)


@pytest.mark.parametrize(
    ("score", "exam", "hours", "message"),
    [
        ("650", (date.today() - timedelta(days=1)).isoformat(), "10", "setelah hari ini"),
        ("650", date.today().isoformat(), "10", "setelah hari ini"),
        ("1000", FUTURE, "10", "di antara 300 dan 900"),
        ("abc", FUTURE, "10", "berupa angka"),
        ("650", FUTURE, "0", "1–80"),
        ("650", "bukan-tanggal", "10", "belum diisi dengan benar"),
    ],
)
def test_bad_onboarding_input_saves_nothing(
    engine: Engine, student, score: str, exam: str, hours: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        onboarding.save_onboarding(
            actor=student, target_ptn="UI", target_score=score, exam_date=exam, hours=hours
        )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT onboarding_completed FROM users")).scalar() in (
            False,
            0,
        )
        assert conn.execute(sa.text("SELECT COUNT(*) FROM user_readiness")).scalar() == 0


def test_teachers_have_no_onboarding(engine: Engine) -> None:
    guru = auth.create_user(username="guru1", password="kata-sandi-1", role="guru")
    with pytest.raises(PermissionDenied):
        onboarding.save_onboarding(
            actor=guru, target_ptn="UI", target_score="600", exam_date=FUTURE, hours="5"
        )
    with pytest.raises(PermissionDenied):
        dashboard.student_dashboard(actor=guru)


def test_dashboard_reflects_practice(engine: Engine, student) -> None:
    onboarding.save_onboarding(
        actor=student, target_ptn="UI", target_score="700", exam_date=FUTURE, hours="7"
    )
    view = practice.start_session(actor=student, section="PU")
    for _ in range(4):
        practice.submit_answer(
            actor=student,
            session_id=view.session_id,
            question_id=view.question_id,
            position=view.position,
            answer="B",
        )
        view = practice.current_question(actor=student, session_id=view.session_id)
    data = dashboard.student_dashboard(actor=student)
    pu = next(c for c in data.cards if c.section == "PU")
    pk = next(c for c in data.cards if c.section == "PK")
    assert pu.answered == 4 and pu.score is not None and pu.score > 500
    assert pu.predicted_low is not None and pu.predicted_low < pu.predicted_high
    assert 0 < pu.readiness_percentage <= 100 and 0 <= pu.chance_of_target <= 100
    assert pk.answered == 0 and pk.score is None
    assert data.history and data.history_sections == ["PU"]
    assert data.sessions and data.sessions[0].answered == 4
    assert data.daily_minutes == 60
    assert data.can_practise and {b.section for b in data.plan} == {"PU"}
    assert sum(b.minutes for b in data.plan) == data.plan_minutes == 60


def test_todays_plan_favours_weak_topics() -> None:
    cards = [
        dashboard.ReadinessCard(
            "PU", "Penalaran Umum", 20, 0.6, 520, 480, 560, 70.0, 5.0, None, None, 3.0
        ),
        dashboard.ReadinessCard(
            "PK", "Pengetahuan Kuantitatif", 0, None, None, None, None, None, None, None, None, None
        ),
    ]
    weak = [dashboard.WeakAreaItem("PU", "deduktif", 0.8, "Perlu latihan lagi.")]
    both = {"PU": ("deduktif", "induktif"), "PK": ("aljabar",)}
    plan = dashboard.todays_plan(60, cards, weak, practicable=both)
    assert plan[0].topic == "deduktif" and plan[0].minutes >= plan[-1].minutes
    assert all(b.minutes >= 10 for b in plan)
    assert sum(b.minutes for b in plan) == 60
    assert dashboard.todays_plan(0, cards, weak, practicable=both) == []
    assert len(dashboard.todays_plan(15, cards, weak, practicable=both)) == 1


def _cards(codes: list[str]) -> list[dashboard.ReadinessCard]:
    return [
        dashboard.ReadinessCard(c, c, 0, None, None, None, None, None, None, None, None, None)
        for c in codes
    ]


def test_todays_plan_skips_sections_and_topics_without_questions() -> None:
    cards = _cards(["PU", "PPU", "PBM", "PK"])
    weak = [
        dashboard.WeakAreaItem("PPU", "ide_pokok", 0.9, "Perlu latihan lagi."),
        dashboard.WeakAreaItem("PU", "hilang", 0.9, "Perlu latihan lagi."),
    ]
    plan = dashboard.todays_plan(60, cards, weak, practicable={"PU": ("deduktif",)})
    assert [(b.section, b.topic) for b in plan] == [("PU", "")]
    assert plan[0].minutes == 60
    assert dashboard.todays_plan(60, cards, weak, practicable={}) == []


@pytest.mark.parametrize("daily", [9, 10, 15, 26, 51, 60, 90, 257])
def test_todays_plan_minutes_add_up(daily: int) -> None:
    """The issue's case: 51 minutes announced, 4 × 15 listed."""
    cards = _cards(["PU", "PPU", "PBM", "PK", "LBI"])
    practicable = {c.section: () for c in cards}
    plan = dashboard.todays_plan(daily, cards, [], practicable=practicable)
    total = sum(b.minutes for b in plan)
    assert all(b.minutes >= 10 and b.minutes % 5 == 0 for b in plan)
    assert len(plan) <= 4
    assert total == max(10 * len(plan), round(daily / 5) * 5)
    assert abs(total - daily) <= 5 or total == 10 * len(plan)


def test_dashboard_plan_in_a_school_without_questions(engine: Engine) -> None:
    student = auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")
    onboarding.save_onboarding(
        actor=student, target_ptn="UI", target_score="700", exam_date=FUTURE, hours="7"
    )
    data = dashboard.student_dashboard(actor=student)
    assert not data.can_practise and data.plan == [] and data.plan_minutes == 0
    assert len(data.cards) >= 4  # readiness cards still listed, just no plan


def test_dashboard_plans_only_sections_with_questions(engine: Engine, student) -> None:
    assert import_bank(
        filename="k.csv",
        data=_bank_csv("PK", 6, ("spldv",)),
        bank_name="Uji PK",
        mark_reviewed_by=["A", "B"],
    ).ok
    onboarding.save_onboarding(
        actor=student, target_ptn="UI", target_score="700", exam_date=FUTURE, hours="6"
    )
    data = dashboard.student_dashboard(actor=student)
    assert data.can_practise
    assert {b.section for b in data.plan} == {"PU", "PK"}
    assert data.plan_minutes == sum(b.minutes for b in data.plan) == 50  # 6 h/week ≈ 51 min
