"""A teacher clicks a heatmap cell and sees that student's attempts on the topic."""

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import DEMO_TEACHERS, STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def test_heatmap_cell_opens_the_drilldown(page: Page) -> None:
    maths = DEMO_TEACHERS[0]
    login(page, maths.username, maths.password)
    expect(page.locator("#heatmap")).to_be_visible()
    cell = page.locator("[id^='cell-siswa03-']").filter(has_not_text="–").first
    expect(cell).to_be_visible()
    cell.click()
    drill = page.locator("#drilldown")
    expect(drill).to_be_visible()
    expect(drill).to_contain_text("siswa03")
    expect(drill.locator(".drill-attempt").first).to_be_visible()
    page.wait_for_timeout(500)
    screenshot(page, "teacher-heatmap")


def test_a_teacher_sees_only_their_classes(page: Page) -> None:
    language = DEMO_TEACHERS[1]
    login(page, language.username, language.password)
    expect(page.locator("[id^='cell-siswa16-']").first).to_be_visible()
    expect(page.locator("[id^='cell-siswa03-']")).to_have_count(0)


def test_a_student_opening_teacher_is_refused(page: Page) -> None:
    login(page, "siswa02", STUDENT_PASSWORD)
    expect(page.locator("#nav-practice")).to_be_visible()
    page.goto("/teacher")
    expect(page.locator("#access-denied")).to_be_visible()
    expect(page.locator("#heatmap")).to_have_count(0)


def test_the_filters_say_what_they_filter(page: Page) -> None:
    maths = DEMO_TEACHERS[0]
    login(page, maths.username, maths.password)
    expect(page.locator("#heatmap")).to_be_visible()
    labels = [
        page.locator(f"label[for='{control}']").inner_text()
        for control in ("view-filter", "class-filter", "grade-filter")
    ]
    assert labels == ["Subtes / mata pelajaran", "Rombel", "Tingkat"]
    expect(page.locator("#class-filter option").first).to_have_text("Semua rombel")
    expect(page.locator("#grade-filter option").first).to_have_text("Semua tingkat (10–12)")
    # "kelas" alone no longer names two different filters.
    options = page.locator("#class-filter option, #grade-filter option").all_inner_texts()
    assert not [o for o in options if o.lower().startswith("semua kelas")], options
    page.locator("#grade-filter").select_option("12")
    expect(page.locator("#grade-filter")).to_have_value("12")
    expect(page.locator("#heatmap")).to_be_visible()
    screenshot(page, "teacher-filters")
