"""Issue 11 in the browser: a student picks her target programme from the school's PTN table
on "Ubah target" (siswa18), and a student's finished tryouts show on the dashboard as a
trend and in her readiness (siswa19). Demo students no other browser test logs in with."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import ROOT, login, screenshot
from tests.e2e.test_tryout import PTN_CSV, _server_env

pytestmark = pytest.mark.e2e

BLUEPRINT = "Mini Tren"
CSV = "order,section,items,minutes\n1,PU,3,5\n2,PK,2,5\n"

# siswa19 finishes two sittings through the services, as the page would.
SIT_SCRIPT = """
import sys
from nexus_app.services import auth, tryout
name, password = sys.argv[1], sys.argv[2]
blueprint = next(b for b in tryout.list_blueprints() if b.name == name)
user = auth.login(username="siswa19", password=password).user
for answers in ("AB", "CDE"):
    view = tryout.start_tryout(actor=user, blueprint_id=blueprint.id)
    for number, letter in enumerate(answers, start=1):
        tryout.answer_item(
            actor=user, sitting_id=view.sitting_id, position=1, number=number, answer=letter
        )
    tryout.end_section(actor=user, sitting_id=view.sitting_id, position=1)
    tryout.end_section(actor=user, sitting_id=view.sitting_id, position=2)
"""


def _nexus(args: list[str], data_dir: Path) -> None:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "nexus"), *args],
        env=_server_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def ptn_table(server: str, server_data_dir: Path, tmp_path: Path) -> None:
    # The same programmes as the tryout test (an upsert): its chance list stays as it expects.
    programmes = tmp_path / "ptn.csv"
    programmes.write_text(PTN_CSV)
    _nexus(["ptn", "import", str(programmes)], server_data_dir)


def test_the_target_programme_is_picked_from_the_ptn_table(page: Page, ptn_table: None) -> None:
    login(page, "siswa18", STUDENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/(dashboard|onboarding)/?$"))
    page.goto("/onboarding")
    field = page.locator("#onboarding-ptn")
    expect(field).to_be_visible()
    expect(page.locator("text=PTN dan program studi tujuan")).to_be_visible()
    # A programme the table lacks: the page says the text is kept as typed.
    field.fill("Sekolah Tinggi Baru")
    expect(page.locator("#onboarding-programs")).to_contain_text("Tidak ada di daftar")
    # Part of a programme's name finds it; a click picks it.
    field.fill("komputer")
    pick = page.locator("#onboarding-program-1")
    expect(pick).to_have_text("UI · Ilmu Komputer")
    expect(page.locator(".onboarding-program")).to_have_count(1)
    pick.click()
    expect(field).to_have_value("UI · Ilmu Komputer")
    expect(page.locator("#onboarding-programs")).to_have_count(0)
    screenshot(page, "onboarding-program-pick")
    page.locator("#onboarding-target").fill("640")
    page.locator("#onboarding-exam-date").fill((date.today() + timedelta(days=150)).isoformat())
    page.locator("#onboarding-hours").fill("7")
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("body")).to_contain_text("Target: UI · Ilmu Komputer · skor 640")
    # Back on "Ubah target", the pick is shown as saved.
    page.locator("#edit-onboarding").click()
    expect(page.locator("#onboarding-ptn")).to_have_value("UI · Ilmu Komputer")


def test_finished_tryouts_show_as_a_trend_and_in_readiness(
    page: Page, server: str, server_data_dir: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "tren.csv"
    csv.write_text(CSV)
    _nexus(["blueprint", "import", str(csv), "--name", BLUEPRINT], server_data_dir)
    login(page, "siswa19", STUDENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/(dashboard|onboarding)/?$"))
    page.goto("/dashboard")
    trend = page.locator("#tryout-trend")
    expect(trend).to_contain_text("Belum ada tryout yang selesai")

    sat = subprocess.run(
        [sys.executable, "-c", SIT_SCRIPT, BLUEPRINT, STUDENT_PASSWORD],
        env=_server_env(server_data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert sat.returncode == 0, sat.stderr
    page.reload()
    points = trend.locator(".tryout-trend-point")
    expect(points).to_have_count(2)
    expect(points.nth(0)).to_have_text(re.compile(r"^TO 1: \d{3}$"))
    expect(points.nth(1)).to_have_text(re.compile(r"^TO 2: \d{3}$"))
    expect(trend.locator(".recharts-surface")).to_have_count(1)
    # The tryouts count in the readiness cards: PK had answers in neither sitting's PK
    # section, PU had five, so PU shows an estimate.
    expect(page.locator("#readiness-PU")).to_contain_text("Perkiraan skor")
    screenshot(page, "dashboard-tryout-trend")
