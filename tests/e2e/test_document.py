"""The document itself: Indonesian language, our favicon, and no emoji left to fall back on
a font that lacks them."""

import re

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e
# Pictographs and dingbats: where the phone's font lacks them they show as empty boxes.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")


def test_pages_are_indonesian_with_a_favicon(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    icon = page.locator("link[rel='icon']")
    expect(icon).to_have_attribute("href", "/favicon.svg")
    for path, kind in (("/favicon.svg", "image/svg+xml"), ("/favicon.ico", "image/")):
        response = page.request.get(path)
        assert response.status == 200, path
        assert response.headers["content-type"].startswith(kind), response.headers
    svg = page.request.get("/favicon.svg").text()
    assert svg.startswith("<svg") and "Nexus" in svg


def test_student_pages_show_no_emoji(page: Page) -> None:
    login(page, "siswa03", STUDENT_PASSWORD)
    expect(page.locator("#nav-dashboard")).to_be_visible()
    for route, ready in (
        ("/dashboard", "#study-sessions"),
        ("/practice", "#start-practice"),
        ("/chat", "#chat-input"),
    ):
        page.goto(route)
        expect(page.locator(ready)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "id")
        shown = page.locator("body").inner_text()
        assert not EMOJI.findall(shown), (route, EMOJI.findall(shown))
    page.goto("/dashboard")
    expect(page.locator("#study-sessions")).to_be_visible()
    screenshot(page, "dashboard-no-emoji")
