"""The admin calibrates the demo bank from its recorded answers, and reads item statistics."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from nexus_app.services.demo import DEMO_ADMIN, DEMO_BANK
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e

# Records every text the progress line shows, so the test sees the run's steps even
# when they pass faster than a screenshot could catch them.
_WATCH_PROGRESS = """() => {
  window.__calibrationSteps = [];
  new MutationObserver(() => {
    const el = document.querySelector('#calibration-progress-message');
    const steps = window.__calibrationSteps;
    if (el && steps[steps.length - 1] !== el.textContent) steps.push(el.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _open_calibration(page: Page) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto("/admin/calibration")
    bank = page.locator("#calibration-bank")
    expect(bank.locator("option", has_text=DEMO_BANK)).to_have_count(1)
    value = bank.locator("option", has_text=DEMO_BANK).get_attribute("value")
    assert value
    bank.select_option(value)
    expect(page.locator("#calibration-bank-status")).to_have_text("Belum dikalibrasi")


def test_admin_calibrates_the_demo_bank(page: Page, browser: Browser, server: str) -> None:
    _open_calibration(page)
    # 28 demo students with history: no item reaches the default 30 answers.
    expect(page.locator("#calibration-not-enough")).to_be_visible()
    page.locator("#calibration-run").click()
    expect(page.locator("#calibration-error")).to_contain_text("Belum cukup jawaban")
    expect(page.locator("#calibration-table")).to_have_count(0)

    page.locator("#calibration-min-responses").select_option("10")
    expect(page.locator("#calibration-low-minimum")).to_be_visible()
    expect(page.locator("#calibration-not-enough")).to_have_count(0)
    page.evaluate(_WATCH_PROGRESS)
    page.locator("#calibration-run").click()
    expect(page.locator("#calibration-progress")).to_be_visible()
    table = page.locator("#calibration-table")
    expect(table).to_be_visible(timeout=180_000)
    expect(page.locator("#calibration-progress-message")).to_have_text("Kalibrasi selesai.")
    steps = page.evaluate("window.__calibrationSteps")
    assert steps[0] == "Menyiapkan kalibrasi…" and steps[-1] == "Kalibrasi selesai.", steps
    rows = page.locator(".calibration-item")
    assert rows.count() >= 90
    expect(page.locator("#calibration-summary")).to_contain_text("siswa")
    expect(table).to_contain_text("cocok")
    # The shot starts at the progress card: the finished run, the summary and the table.
    page.locator("#calibration-progress").evaluate("el => el.scrollIntoView()")
    page.wait_for_timeout(500)
    screenshot(page, "admin-calibration")

    # The result is kept on the server: a fresh browser session sees the same table.
    other = browser.new_context(base_url=server, viewport={"width": 1280, "height": 800})
    try:
        second = other.new_page()
        _open_calibration(second)
        expect(second.locator("#calibration-table")).to_be_visible()
        expect(second.locator(".calibration-item")).to_have_count(rows.count())
    finally:
        other.close()

    page.locator("#calibration-select-none").click()
    expect(page.locator("#calibration-selected")).to_have_text("0 soal dipilih")
    expect(page.locator("#calibration-apply")).to_be_disabled()
    page.locator("#calibration-select-all").click()
    expect(page.locator("#calibration-selected")).not_to_have_text("0 soal dipilih")
    page.locator("#calibration-select-none").click()
    pickable = page.locator(".calibration-item button[role='checkbox']:not([disabled])")
    pickable.nth(0).click()
    pickable.nth(1).click()
    expect(page.locator("#calibration-selected")).to_have_text("2 soal dipilih")
    page.locator("#calibration-apply").click()
    expect(page.locator("#calibration-success")).to_contain_text("diterapkan pada 2 soal")
    expect(page.locator("#calibration-bank-status")).to_contain_text("Terkalibrasi")
    expect(page.locator("#calibration-table")).to_have_count(0)


def test_statistics_show_labelled_rows_and_download(page: Page, tmp_path: Path) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto("/admin/statistics")
    rows = page.locator(".statistics-row")
    expect(rows.first).to_be_visible()
    expect(page.locator("#statistics-legend")).to_contain_text("Terlalu mudah")
    badges = page.locator("#statistics-table [class*='assessment-']")
    assert badges.count() == rows.count()
    labels = set(badges.all_inner_texts())
    assert labels <= {"Terlalu mudah", "Terlalu sulit", "Optimal", "Dapat diterima"}, labels
    assert len(labels) >= 2
    href = rows.first.locator("a").first.get_attribute("href")
    assert href and href.startswith("/admin/questions/")
    page.wait_for_timeout(500)
    screenshot(page, "admin-statistics")

    page.locator("#statistics-section").select_option("PK")
    expect(rows.first).to_contain_text("PK")
    for text in rows.all_inner_texts():
        assert "PK" in text
    with page.expect_download() as download:
        page.locator("#statistics-csv").click()
    saved = tmp_path / "statistik.csv"
    download.value.save_as(saved)
    parsed = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert parsed and {r["subtes"] for r in parsed} == {"PK"}
    assert len(parsed) == rows.count()

    page.locator("#statistics-min-users").fill("1000")
    expect(page.locator("#statistics-count")).to_contain_text("Belum ada soal")
