"""A kelas 10 student skips the UTBK target at onboarding and adds it later; everything opens
without one. Real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, dashboard, onboarding, practice
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import PermissionDenied
from tests.integration.services.test_practice import _bank_csv

FUTURE = (date.today() + timedelta(days=300)).isoformat()


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 12), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    return auth.create_user(
        username="kelas10", password="kata-sandi-1", role="siswa", class_name="X-1", grade=10
    )


def test_skipping_the_target_finishes_onboarding_without_one(engine: Engine, student) -> None:
    profile = onboarding.skip_utbk_target(actor=student)
    assert profile.onboarding_completed and profile.target_score is None
    # The guard reads this: the tutor, practice and dashboard open now.
    token = auth.login(username="kelas10", password="kata-sandi-1").token
    assert auth.current_user(token).onboarding_completed
    with engine.connect() as conn:
        sections = conn.execute(sa.text("SELECT COUNT(*) FROM user_readiness")).scalar_one()
        target = conn.execute(sa.text("SELECT target_score FROM users")).scalar_one()
    assert sections == 7 and target is None

    view = practice.start_session(actor=student, section="PU")
    practice.submit_answer(
        actor=student,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer="B",
    )
    data = dashboard.student_dashboard(actor=student)
    assert data.target_score is None and data.exam_date is None
    pu = next(c for c in data.cards if c.section == "PU")
    assert pu.answered == 1 and pu.chance_of_target is None

    # Later, from "Ubah target": the target is saved like a first onboarding.
    onboarding.save_onboarding(
        actor=student, target_ptn="ITB", target_score="650", exam_date=FUTURE, hours="5"
    )
    assert onboarding.get_profile(actor=student).target_score == 650


def test_only_students_skip(engine: Engine) -> None:
    guru = auth.create_user(username="guru1", password="kata-sandi-1", role="guru")
    with pytest.raises(PermissionDenied):
        onboarding.skip_utbk_target(actor=guru)
