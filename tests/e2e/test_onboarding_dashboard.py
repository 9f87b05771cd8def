"""A new student is sent to onboarding, then sees the dashboard; bad input is explained."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


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


def test_a_practising_student_sees_readiness_and_history(page: Page) -> None:
    login(page, "siswa03", STUDENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#readiness-PU")).to_contain_text("Perkiraan skor")
    expect(page.locator("#study-sessions")).to_contain_text("Rincian")
    page.wait_for_timeout(800)
    screenshot(page, "dashboard")
