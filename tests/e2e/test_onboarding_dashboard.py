"""A new student is sent to onboarding, then sees the dashboard; bad input is explained.

The last test runs only with NEXUS_E2E_EMPTY_SCHOOL=1 (a school without questions); the
others need the demo school.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import EMPTY_SCHOOL, create_user_on_server, login, screenshot

pytestmark = pytest.mark.e2e
demo_only = pytest.mark.skipif(EMPTY_SCHOOL, reason="needs the demo school")


def _onboard(page: Page) -> None:
    page.locator("#onboarding-ptn").fill("Institut Teknologi Bandung (ITB)")
    page.locator("#onboarding-target").fill("680")
    page.locator("#onboarding-exam-date").fill((date.today() + timedelta(days=120)).isoformat())
    page.locator("#onboarding-hours").fill("6")
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def _plan_adds_up(page: Page) -> None:
    """The announced minutes equal the listed blocks, and every block can be started."""
    plan = page.locator("#todays-plan")
    expect(plan.locator(".plan-row").first).to_be_visible()
    total = re.search(r"Sekitar (\d+) menit", plan.inner_text())
    assert total, plan.inner_text()
    rows = plan.locator(".plan-row").all_inner_texts()
    assert sum(int(re.match(r"\s*\S+\s+(\d+) menit", r).group(1)) for r in rows) == int(
        total.group(1)
    )
    assert "_" not in plan.inner_text()  # topic display names, never raw keys


@demo_only
def test_new_student_onboards_then_sees_the_dashboard(page: Page) -> None:
    login(page, "siswa30", STUDENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    page.locator("#onboarding-ptn").fill("Institut Teknologi Bandung (ITB)")
    page.locator("#onboarding-target").fill("680")
    page.locator("#onboarding-exam-date").fill((date.today() - timedelta(days=3)).isoformat())
    page.locator("#onboarding-hours").fill("10")
    page.locator("#onboarding-submit").click()
    expect(page.locator("#onboarding-error")).to_contain_text("setelah hari ini")
    page.locator("#onboarding-target").fill("1200")
    page.locator("#onboarding-exam-date").fill((date.today() + timedelta(days=120)).isoformat())
    page.locator("#onboarding-submit").click()
    expect(page.locator("#onboarding-error")).to_contain_text("di antara 300 dan 900")
    screenshot(page, "onboarding")
    page.locator("#onboarding-target").fill("680")
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#readiness-cards")).to_contain_text("Penalaran Umum")
    expect(page.locator("#todays-plan")).to_contain_text("menit")
    _plan_adds_up(page)
    expect(page.locator("#readiness-help")).to_contain_text("Peluang adalah")


@demo_only
def test_a_practising_student_sees_readiness_and_history(page: Page) -> None:
    login(page, "siswa03", STUDENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#readiness-PU")).to_contain_text("Perkiraan skor")
    expect(page.locator("#study-sessions")).to_contain_text("Rincian")
    page.wait_for_timeout(800)
    screenshot(page, "dashboard")
    _plan_adds_up(page)
    expect(page.locator("#readiness-PU")).to_contain_text("Kesiapan")
    expect(page.locator("#readiness-help")).to_contain_text("Kesiapan menunjukkan")
    weak = page.locator("#weak-areas")
    if weak.count():
        assert "_" not in weak.inner_text()


@pytest.mark.skipif(not EMPTY_SCHOOL, reason="needs a school without questions")
def test_a_school_without_questions_says_so_instead_of_a_plan(
    page: Page, server_data_dir: Path
) -> None:
    create_user_on_server(
        server_data_dir, "siswabaru", "kata-sandi-baru-1", role="siswa", full_name="Siswa Baru"
    )
    login(page, "siswabaru", "kata-sandi-baru-1")
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    _onboard(page)
    plan = page.locator("#todays-plan")
    expect(plan).to_contain_text("belum punya soal")
    expect(plan).to_contain_text("guru atau admin")
    expect(plan.locator(".plan-row")).to_have_count(0)


def test_a_kelas_10_student_skips_the_utbk_target_and_adds_it_later(
    page: Page, server_data_dir: Path
) -> None:
    create_user_on_server(
        server_data_dir, "kelas10", "kata-sandi-baru-1", role="siswa", full_name="Siswa Kelas 10"
    )
    login(page, "kelas10", "kata-sandi-baru-1")
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    page.locator("#onboarding-skip").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    # The tutor opens without a UTBK target (no redirect back to onboarding).
    page.goto("/chat")
    expect(page.locator("#chat-input")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/chat/?$"))
    # Later, "Ubah target" adds it; the skip button is gone once onboarding is done.
    page.goto("/dashboard")
    page.locator("#edit-onboarding").click()
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    expect(page.locator("#onboarding-skip")).to_have_count(0)
    _onboard(page)
