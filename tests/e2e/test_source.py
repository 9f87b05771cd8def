"""A student opens a tutor citation in the book (/sumber): the cited passage is marked, the
sections turn, and a phone shows it without sideways scrolling. Bad links and other roles'
pages stay refused. Demo students siswa22 and siswa23 (no other browser test uses them)."""

import pytest
from playwright.sync_api import Browser, Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def test_a_citation_opens_the_book_with_the_passage_marked(page: Page) -> None:
    login(page, "siswa22", STUDENT_PASSWORD)
    expect(page.locator("#nav-chat")).to_be_visible()
    page.goto("/chat")
    page.locator("#chat-subject").select_option("MAT_10")
    page.locator("#chat-input").fill("Apa yang dimaksud dengan barisan aritmetika?")
    page.locator("#chat-send").click()
    expect(page.locator("#chat-sources")).to_contain_text("Matematika Kelas 10", timeout=240_000)
    expect(page.locator("#chat-send")).to_be_enabled(timeout=240_000)
    link = page.locator("#citation-1")
    expect(link).to_be_visible()
    # A new tab: the chat (and its answer) stays where it was.
    with page.context.expect_page() as opened:
        link.click()
    book = opened.value
    expect(book.locator("#source-title")).to_contain_text("Matematika Kelas 10", timeout=60_000)
    expect(book.locator("#source-where")).to_contain_text("Bagian ")
    marked = book.locator("#source-text .source-highlight").first
    expect(marked).to_be_visible()
    # What is marked is the cited passage, about what was asked.
    marks = " ".join(book.locator("#source-text .source-highlight").all_inner_texts())
    assert "aritmetika" in marks.lower(), marks
    screenshot(book, "source-section")
    where = book.locator("#source-where").inner_text()
    nav = book.locator("#source-nav-top")
    turn = nav.get_by_role("button", name="Berikutnya ›")
    if turn.is_disabled():
        turn = nav.get_by_role("button", name="‹ Sebelumnya")
    turn.click()
    expect(book.locator("#source-where")).not_to_have_text(where)
    book.locator("#source-cited").click()
    expect(book.locator("#source-where")).to_have_text(where)
    expect(book.locator("#source-text .source-highlight").first).to_be_visible()
    book.close()


def test_the_source_page_fits_a_phone_and_bad_links_are_refused(
    browser: Browser, server: str
) -> None:
    context = browser.new_context(
        base_url=server, viewport={"width": 360, "height": 740}, locale="id-ID"
    )
    page = context.new_page()
    try:
        # Not logged in: the login page, not the book.
        page.goto("/sumber?buku=mat-10-matematika-kelas-10&versi=1.0.0&kutipan=0")
        expect(page).to_have_url(f"{server}/login", timeout=30_000)
        login(page, "siswa23", STUDENT_PASSWORD)
        page.wait_for_url("**/dashboard", timeout=30_000)
        page.goto("/sumber?buku=mat-10-matematika-kelas-10&versi=1.0.0&kutipan=0")
        expect(page.locator("#source-title")).to_contain_text("Matematika", timeout=60_000)
        expect(page.locator("#source-text .source-highlight").first).to_be_visible()
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        screenshot(page, "source-phone")
        page.goto("/sumber?buku=../../etc&versi=1.0.0")
        expect(page.locator("#source-error")).to_contain_text("Tautan sumber tidak valid")
        page.goto("/sumber?buku=mat-10-matematika-kelas-10&versi=9.9.9&kutipan=0")
        expect(page.locator("#source-error")).to_contain_text("sudah dihapus")
        expect(page.locator("#source-current")).to_be_visible()
        # An admin page stays refused to a student, however she got there.
        page.goto("/admin/books")
        expect(page.locator("#access-denied")).to_be_visible()
    finally:
        context.close()
