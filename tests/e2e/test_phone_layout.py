"""Every route of every role fits a phone: no sideways scrolling, tap targets of 44 × 44 px.

At 390 × 844 (a common phone) each route is measured and photographed
(docs/screenshots/phone-*.png); at 360 px (the narrowest common phone) only the width is
checked. NEXUS_E2E_LAPTOP_SHOTS=1 adds a 1280 × 800 pass that photographs every route as
laptop-*.png, to compare the laptop layout before and after a change (not committed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from nexus_app.services.demo import DEMO_ADMIN, DEMO_TEACHERS, STUDENT_PASSWORD
from nexus_app.state.admin.sections import NAV_SECTIONS
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e

PHONE = 390
NARROW = 360
WIDTHS = [PHONE, NARROW] + ([1280] if os.environ.get("NEXUS_E2E_LAPTOP_SHOTS") else [])
MIN_TAP = 44  # px, the common touch-target guideline
# A student with practice history (sessions to review) whom no other browser test changes.
STUDENT = "siswa12"

# Every control a finger may need. Hidden inputs and Radix's hidden native selects excluded.
_CONTROLS_JS = """
() => [...document.querySelectorAll(
        'a[href], button, select, input:not([type=hidden]), textarea, [role=button]')]
    .filter(e => {
        const r = e.getBoundingClientRect();
        const s = getComputedStyle(e);
        // A link around a button is measured as its button.
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
            && !e.closest('[aria-hidden=true]')
            && !(e.tagName === 'A' && e.querySelector('button'));
    })
    .map(e => {
        const r = e.getBoundingClientRect();
        const label = (e.id || e.innerText || e.value || e.getAttribute('aria-label') || e.tagName);
        return {label: label.trim().slice(0, 40), w: Math.round(r.width), h: Math.round(r.height)};
    })
"""


# Elements sticking out on the right (outside any scrolling box): the outermost, then the
# innermost (no child sticks out), to name the culprit in the failure message.
_OVERFLOW_JS = """
() => {
    const limit = document.documentElement.clientWidth + 0.5;
    const scrolls = e => {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible') return true;
        }
        return false;
    };
    const out = e => e.getBoundingClientRect().right > limit && !scrolls(e);
    const wide = [...document.querySelectorAll('body *')].filter(out);
    const outer = wide.filter(e => !e.parentElement || !out(e.parentElement));
    const inner = wide.filter(e => ![...e.children].some(out));
    return [...outer.slice(0, 2), ...inner.slice(0, 3)]
        .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`
            + ` .${[...e.classList].slice(0, 6).join('.')}`
            + ` "${(e.innerText || '').trim().slice(0, 30)}"`
            + ` right ${Math.round(e.getBoundingClientRect().right)}`);
}
"""


def _width(page: Page) -> tuple[int, int]:
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return int(sizes[0]), int(sizes[1])


def _small_controls(page: Page) -> list[str]:
    return [
        f"{c['label']!r} {c['w']}×{c['h']}"
        for c in page.evaluate(_CONTROLS_JS)
        if c["w"] < MIN_TAP or c["h"] < MIN_TAP
    ]


def _settle(page: Page) -> None:
    """Wait until the guard let the page in and its data arrived."""
    expect(page.locator("#access-denied")).to_have_count(0)
    expect(page.locator(".rt-Spinner")).to_have_count(0)
    page.wait_for_timeout(700)


class Visit:
    """Measures each route it is shown; asserts once at the end with every finding."""

    def __init__(self, page: Page, width: int, role: str) -> None:
        self.page = page
        self.width = width
        self.role = role
        self.too_wide: list[str] = []
        self.too_small: list[str] = []

    def check(self, name: str, *, taps: bool = False) -> None:
        _settle(self.page)
        scroll, client = _width(self.page)
        print(f"{self.width}px {self.role} {name}: scrollWidth {scroll}, clientWidth {client}")
        if scroll > client:
            culprits = ", ".join(self.page.evaluate(_OVERFLOW_JS))
            self.too_wide.append(f"{name}: {scroll} > {client} ({culprits})")
        if self.width == PHONE:
            screenshot(self.page, f"phone-{self.role}-{name}")
        elif self.width > PHONE:
            screenshot(self.page, f"laptop-{self.role}-{name}")
        if taps and self.width <= PHONE:
            small = _small_controls(self.page)
            if small:
                self.too_small.append(f"{name}: {', '.join(small)}")

    def go(self, route: str, name: str, *, taps: bool = False) -> None:
        self.page.goto(route)
        self.check(name, taps=taps)

    def assert_fits(self) -> None:
        problems = []
        if self.too_wide:
            problems.append("scrolls sideways: " + "; ".join(self.too_wide))
        if self.too_small:
            problems.append(f"tap targets under {MIN_TAP}×{MIN_TAP}: " + "; ".join(self.too_small))
        assert not problems, f"{self.role} at {self.width}px — " + " | ".join(problems)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def sized(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[Page]:
    width: int = request.param
    height = 844 if width <= PHONE else 800
    context = browser.new_context(
        base_url=server,
        viewport={"width": width, "height": height},
        locale="id-ID",
        is_mobile=width <= PHONE,
        has_touch=width <= PHONE,
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def _visit(page: Page, role: str) -> Visit:
    return Visit(page, page.viewport_size["width"] if page.viewport_size else 0, role)


def _logged_in(page: Page, username: str, password: str, home: str) -> None:
    login(page, username, password)
    expect(page).to_have_url(re.compile(home))


def test_login_fits(sized: Page) -> None:
    visit = _visit(sized, "anon")
    visit.go("/login", "login", taps=True)
    visit.assert_fits()


def _practise_one_question(visit: Visit) -> None:
    """The question screen and, after a wrong answer, the 👍/👎 of its feedback."""
    page = visit.page
    page.locator("#start-practice").click()
    for letter in "ABCDE":
        expect(page.locator("#question-text")).to_be_visible()
        visit.check("practice-question", taps=True)
        page.locator(f"#choice-{letter}").click()
        page.locator("#submit-answer").click()
        result = page.locator("#answer-result")
        expect(result).to_be_visible()
        if "Belum tepat" in result.inner_text():
            expect(page.locator("#feedback-up")).to_be_visible(timeout=90_000)
            visit.check("practice-result", taps=True)
            break
        page.locator("#next-question").click()
    page.locator("#end-session").click()
    expect(page).to_have_url(re.compile(r"/practice/session/[\w-]+/?$"))


def test_student_pages_fit(sized: Page) -> None:
    page = sized
    _logged_in(page, STUDENT, STUDENT_PASSWORD, r"/dashboard/?$")
    visit = _visit(page, "siswa")
    visit.check("dashboard", taps=True)
    review = page.locator('#study-sessions a[href*="/practice/session/"]').first
    expect(review).to_be_attached()
    review_href = review.get_attribute("href") or ""
    visit.go(review_href, "session-review", taps=True)
    expect(page.locator("#review-table")).to_be_attached()
    visit.go("/practice", "practice", taps=True)
    if visit.width == PHONE:
        _practise_one_question(visit)
    visit.go("/tryout", "tryout", taps=True)
    visit.go("/chat", "chat", taps=True)
    visit.go("/tugas", "task-run", taps=True)
    visit.go("/onboarding", "onboarding", taps=True)
    visit.assert_fits()
    if visit.width <= PHONE:
        _check_menu(page, visit, ["Latihan", "Tryout", "Tutor AI", "Dasbor"])


def _check_menu(page: Page, visit: Visit, labels: list[str]) -> None:
    """On a phone the top bar's links, the password dialog and logout sit in a menu."""
    page.locator("#nav-menu").click()
    menu = page.get_by_role("menu")
    for label in [*labels, "Kata sandi", "Keluar"]:
        expect(menu.get_by_role("menuitem", name=label)).to_be_visible()
    visit.check("menu", taps=True)
    visit.assert_fits()
    page.keyboard.press("Escape")


def test_teacher_pages_fit(sized: Page) -> None:
    teacher = DEMO_TEACHERS[0]
    _logged_in(sized, teacher.username, teacher.password, r"/teacher/?$")
    visit = _visit(sized, "guru")
    visit.check("teacher", taps=True)
    visit.go("/teacher/tugas", "teacher-tasks", taps=True)
    visit.assert_fits()
    if visit.width <= PHONE:
        _check_menu(sized, visit, ["Kelas"])


def _admin_routes() -> list[tuple[str, str]]:
    return [(s.route, s.route.strip("/").replace("/", "-")) for s in NAV_SECTIONS]


def test_admin_pages_fit(sized: Page) -> None:
    _logged_in(sized, DEMO_ADMIN.username, DEMO_ADMIN.password, r"/admin/?$")
    visit = _visit(sized, "admin")
    question_href = ""
    for route, name in _admin_routes():
        visit.go(route, name)
        question = sized.locator('a[href*="/admin/questions/"]')
        if not question_href and question.count():
            question_href = question.first.get_attribute("href") or ""
    if question_href:
        visit.go(question_href, "admin-question")
    visit.go("/teacher", "teacher")
    visit.assert_fits()
    if visit.width <= PHONE:
        _check_menu(sized, visit, ["Admin", "Kelas"])
