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


def _answer_and_go_on(page: Page) -> None:
    expect(page.locator("#question-text")).to_be_visible()
    page.locator("#submit-answer").click()  # too early: nothing picked yet
    expect(page.locator("#practice-error")).to_contain_text("Pilih salah satu jawaban")
    page.locator("#choice-B").click()  # answered in the page, which hides the message
    expect(page.locator("#practice-error")).to_have_count(0)
    page.locator("#submit-answer").click()
    expect(page.locator("#answer-result")).to_be_visible()
    page.locator("#next-question").click()
    expect(page.locator("#answer-result")).to_have_count(0)


def test_a_reload_resumes_the_session_with_its_answers(page: Page) -> None:
    login(page, "siswa10", STUDENT_PASSWORD)
    page.locator("#nav-practice").click()
    expect(page.locator("#section-select")).to_be_visible()
    page.locator("#section-select").select_option("PK")
    page.locator("#start-practice").click()
    _answer_and_go_on(page)
    _answer_and_go_on(page)
    question = page.locator("#question-text")
    expect(question).to_be_visible()
    text = question.inner_text()
    expect(page.get_by_text("Soal ke-3")).to_be_visible()

    page.reload()
    expect(question).to_have_text(text)
    expect(page.get_by_text("Soal ke-3")).to_be_visible()
    expect(page.locator("#practice-resumed")).to_contain_text("2 soal sudah dijawab")

    # Without Reflex's tab token the reload starts a fresh state tree (as after a server
    # restart): the open session, its item and its answers come back from the database.
    page.evaluate("sessionStorage.removeItem('token')")
    page.reload()
    expect(question).to_have_text(text)
    expect(page.get_by_text("Soal ke-3")).to_be_visible()
    expect(page.locator("#practice-resumed")).to_contain_text("2 soal sudah dijawab")
    screenshot(page, "practice-resumed-after-reload")

    page.locator("#choice-B").click()
    page.locator("#submit-answer").click()
    expect(page.locator("#answer-result")).to_be_visible()
    expect(page.locator("#practice-resumed")).to_have_count(0)
    page.locator("#end-session").click()
    expect(page).to_have_url(re.compile(r"/practice/session/[\w-]+/?$"))
    expect(page.locator("#review-total")).to_have_text("3")


def test_an_abandoned_empty_session_is_not_listed(page: Page) -> None:
    login(page, "siswa11", STUDENT_PASSWORD)
    page.locator("#nav-practice").click()
    page.locator("#section-select").select_option("PK")
    page.locator("#start-practice").click()
    expect(page.locator("#question-text")).to_be_visible()
    text = page.locator("#question-text").inner_text()
    # Left without answering: the dashboard's session list has no row with 0 answers.
    page.goto("/dashboard")
    table = page.locator("#study-sessions")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_be_visible()
    counts = table.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert counts and "0" not in counts, counts
    # Back on /practice the same item waits; ending it with nothing answered shows no
    # empty review, only the subtest choice again.
    page.goto("/practice")
    expect(page.locator("#question-text")).to_have_text(text)
    page.locator("#end-session").click()
    expect(page.locator("#start-practice")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/practice/?$"))
