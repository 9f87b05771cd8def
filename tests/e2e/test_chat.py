"""A student asks the tutor and sees an answer with its sources; refusals are honest."""

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def test_question_gets_an_answer_with_sources(page: Page) -> None:
    login(page, "siswa07", STUDENT_PASSWORD)
    page.locator("#nav-chat").click()
    expect(page.locator("#chat-subject")).to_be_visible()
    page.locator("#chat-subject").select_option("MAT_10")
    page.locator("#chat-input").fill("Apa yang dimaksud dengan barisan aritmetika?")
    page.locator("#chat-send").click()
    answer = page.locator("#chat-answer")
    expect(answer).to_contain_text("beda", timeout=240_000)
    sources = page.locator("#chat-sources")
    expect(sources).to_contain_text("Matematika Kelas 10", timeout=120_000)
    expect(page.locator("#chat-send")).to_be_enabled(timeout=120_000)
    # A Markdown book has no printed pages: its sources name their section, not "hlm. 1".
    expect(sources).to_contain_text("bagian ")
    expect(sources).not_to_contain_text("hlm.")
    # The answer starts with words, not with a bare source number.
    assert not answer.inner_text().lstrip().startswith("[")
    expect(answer).not_to_contain_text("hlm.")
    history = page.locator("#chat-history")
    expect(history).to_contain_text("barisan aritmetika")
    expect(history.locator(".chat-history-sources").first).to_contain_text("[1] Matematika")
    screenshot(page, "chat")


def test_a_question_the_books_do_not_cover(page: Page) -> None:
    login(page, "siswa08", STUDENT_PASSWORD)
    expect(page.locator("#nav-chat")).to_be_visible()  # logged in before navigating
    page.goto("/chat")
    page.locator("#chat-subject").select_option("MAT_10")
    page.locator("#chat-input").fill("Siapa presiden pertama Indonesia?")
    page.locator("#chat-send").click()
    expect(page.locator("#chat-answer")).to_contain_text("tidak membahas", timeout=120_000)
    expect(page.locator("#chat-send")).to_be_enabled(timeout=120_000)
    expect(page.locator("#chat-sources")).to_have_count(0)
    # The refusal is said once: no notice repeating it, no match percentage beside it.
    expect(page.locator("#chat-notice")).to_have_count(0)
    expect(page.get_by_text("Kecocokan dengan buku")).to_have_count(0)
    # Its history entry lists no sources either.
    newest = page.locator("#chat-history .rt-Card").first
    expect(newest).to_contain_text("Siapa presiden pertama Indonesia?")
    expect(newest.locator(".chat-history-sources")).to_have_count(0)
    screenshot(page, "chat-refusal")
