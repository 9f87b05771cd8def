"""A student practises five questions with the keyboard and reviews the session."""

import re

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def test_five_questions_by_keyboard_then_review(page: Page) -> None:
    login(page, "siswa05", STUDENT_PASSWORD)
    page.locator("#nav-practice").click()
    expect(page.locator("#section-select")).to_be_visible()
    page.locator("#section-select").select_option("PK")
    page.locator("#start-practice").click()
    letters = ["a", "b", "c", "d", "e"]
    rated = False
    for number, letter in enumerate(letters, start=1):
        expect(page.locator("#question-text")).to_be_visible()
        expect(page.locator("#choice-E")).to_be_enabled()
        page.keyboard.press(letter)
        expect(page.locator(f"#choice-{letter.upper()}")).to_have_attribute(
            "data-accent-color", "indigo"
        )
        page.keyboard.press("Enter")
        result = page.locator("#answer-result")
        expect(result).to_be_visible()
        expect(result).to_contain_text(f"Jawabanmu {letter.upper()}")
        expect(result).to_contain_text("Skor perkiraanmu")
        expect(page.locator("#theta-value")).to_contain_text("Skor perkiraan")
        if "Belum tepat" in result.inner_text():
            # Wrong answers get feedback (the model's sentence or the stored explanation).
            expect(page.locator("#answer-feedback")).to_contain_text(
                "Jawaban yang benar", timeout=90_000
            )
            if not rated:
                page.locator("#feedback-up").click()
                expect(page.locator("#feedback-up")).to_have_class(re.compile("rt-variant-solid"))
                rated = True
                screenshot(page, "practice-result")
        if number < len(letters):
            page.keyboard.press("Enter")  # next question
            expect(page.locator("#answer-result")).to_have_count(0)
    page.locator("#end-session").click()
    expect(page).to_have_url(re.compile(r"/practice/session/[\w-]+/?$"))
    expect(page.locator("#review-total")).to_have_text("5")
    expect(page.locator("#review-table .review-row")).to_have_count(5)
    screenshot(page, "practice-review")


def test_a_teacher_cannot_practise(page: Page) -> None:
    from nexus_app.services.demo import DEMO_TEACHERS

    login(page, DEMO_TEACHERS[0].username, DEMO_TEACHERS[0].password)
    expect(page.locator("#nav-teacher")).to_be_visible()
    page.goto("/practice")
    expect(page.locator("#access-denied")).to_be_visible()
