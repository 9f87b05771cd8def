"""The school's default tier for new students and the paywall wording, on both databases;
and the CLI that sets it at install."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.models import ChatHistory
from nexus_app.services import auth, billing, school_setup
from nexus_app.services.errors import InvalidInput, PermissionDenied
from tests.integration.cli.test_cli import nexus


@pytest.fixture
def people(engine: Engine) -> dict[str, auth.CurrentUser]:
    return {
        role: auth.create_user(username=f"{role}1", password="kata-sandi-1", role=role)
        for role in ("admin", "siswa")
    }


def _ask_tutor_times(session: Session, user_id: int, times: int) -> None:
    for i in range(times):
        session.add(ChatHistory(user_id=user_id, question=f"tanya {i}", response="jawab"))
    session.commit()


def test_nothing_chosen_means_the_gratis_limits_and_no_paywall_words(
    engine: Engine, session: Session, people, monkeypatch
) -> None:
    monkeypatch.delenv("NEXUS_MIDTRANS_SERVER_KEY", raising=False)
    plan = school_setup.get_school_plan(actor=people["admin"])
    assert not plan.chosen and not plan.sells_plans
    _ask_tutor_times(session, people["siswa"].id, 20)
    with pytest.raises(billing.DailyLimitReached) as refused:
        billing.check_daily_limit(actor=people["siswa"], kind="tutor")
    assert "00.00 WIB" in refused.value.message
    assert "tingkatkan" not in refused.value.message and "paket" not in refused.value.message


def test_sekolah_makes_new_students_unlimited(engine: Engine, session: Session, people) -> None:
    with pytest.raises(PermissionDenied):
        school_setup.set_default_tier(actor=people["siswa"], choice="sekolah", sells_plans=False)
    with pytest.raises(InvalidInput):
        school_setup.set_default_tier(actor=people["admin"], choice="emas", sells_plans=False)
    plan = school_setup.set_default_tier(actor=people["admin"], choice="sekolah", sells_plans=False)
    assert plan.chosen and plan.choice == "sekolah" and not plan.sells_plans
    [free] = [t for t in billing.list_tiers(actor=people["admin"]) if t.tier == "free"]
    assert free.display_name == "Sekolah" and free.tutor_questions_per_day is None
    newcomer = auth.create_user(username="baru", password="kata-sandi-1", role="siswa")
    _ask_tutor_times(session, newcomer.id, 50)
    billing.check_daily_limit(actor=newcomer, kind="tutor")  # no limit


def test_a_server_that_sells_plans_says_so(engine: Engine, session: Session, people) -> None:
    school_setup.set_default_tier(actor=people["admin"], choice="gratis", sells_plans=True)
    _ask_tutor_times(session, people["siswa"].id, 20)
    with pytest.raises(billing.DailyLimitReached, match="tingkatkan paket"):
        billing.check_daily_limit(actor=people["siswa"], kind="tutor")


def test_cli_sets_the_default_tier_once_at_install(engine: Engine) -> None:
    result = nexus("school", "set-default-tier", "sekolah")
    assert result.returncode == 0, result.stderr
    assert "sekolah" in result.stdout and "sells no plans" in result.stdout
    assert school_setup.school_plan().choice == "sekolah"
    bad = nexus("school", "set-default-tier", "emas")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1
