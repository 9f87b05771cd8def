"""Each role logs in through the page and sees its own navigation; refusals are clear."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from nexus_app.db import make_engine
from nexus_app.repositories import school as school_repo
from nexus_app.services.demo import DEMO_ADMIN, DEMO_TEACHERS, STUDENT_PASSWORD
from tests.e2e.conftest import create_user_on_server, login, screenshot

pytestmark = pytest.mark.e2e
LOGIN_URL = re.compile(r"/login/?$")


def test_login_page_and_wrong_password(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("#login-submit")).to_be_visible()
    screenshot(page, "login")
    login(page, "siswa01", "bukan-kata-sandinya")
    expect(page.locator("#login-error")).to_have_text("Nama pengguna atau kata sandi salah.")
    expect(page).to_have_url(LOGIN_URL)


@pytest.mark.parametrize(
    ("username", "password", "nav_ids", "absent_ids", "shot"),
    [
        (
            "siswa01",
            STUDENT_PASSWORD,
            ["#nav-practice", "#nav-dashboard"],
            ["#nav-admin", "#nav-teacher"],
            "shell-siswa",
        ),
        (
            DEMO_TEACHERS[0].username,
            DEMO_TEACHERS[0].password,
            ["#nav-teacher"],
            ["#nav-admin", "#nav-practice"],
            "shell-guru",
        ),
        (
            DEMO_ADMIN.username,
            DEMO_ADMIN.password,
            ["#nav-admin", "#nav-teacher"],
            ["#nav-practice"],
            "shell-admin",
        ),
    ],
)
def test_each_role_sees_its_navigation(
    page: Page,
    username: str,
    password: str,
    nav_ids: list[str],
    absent_ids: list[str],
    shot: str,
) -> None:
    login(page, username, password)
    for nav in nav_ids:
        expect(page.locator(nav)).to_be_visible()
    for nav in absent_ids:
        expect(page.locator(nav)).to_have_count(0)
    expect(page.locator("#logout")).to_be_visible()
    page.wait_for_timeout(500)  # let on_load data settle before the picture
    screenshot(page, shot)
    page.locator("#logout").click()
    expect(page).to_have_url(LOGIN_URL)


def _server_counts(data_dir: Path) -> dict[str, int]:
    # Earlier admin tests add accounts: compare with what the server's database holds now.
    engine = make_engine(f"sqlite:///{data_dir / 'nexus.db'}")
    try:
        with Session(engine) as session:
            return school_repo.count_users_by_role(session=session)
    finally:
        engine.dispose()


def test_admin_sees_real_counts(page: Page, server_data_dir: Path) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#stat-teachers")).to_be_visible()
    counts = _server_counts(server_data_dir)
    assert counts["siswa"] >= 30 and counts["guru"] >= 2
    expect(page.locator("#stat-students")).to_have_text(str(counts["siswa"]))
    expect(page.locator("#stat-teachers")).to_have_text(str(counts["guru"]))
    # Server health: every scheduled job is listed (the e2e server runs none of them).
    expect(page.locator("#job-health .job-row")).to_have_count(5)
    expect(page.locator("#health-backup")).to_be_visible()


def test_student_opening_admin_url_is_refused(page: Page) -> None:
    login(page, "siswa01", STUDENT_PASSWORD)
    expect(page.locator("#nav-practice")).to_be_visible()
    page.goto("/admin")
    expect(page.locator("#access-denied")).to_be_visible()
    expect(page.locator("#stat-students")).to_have_count(0)


def test_private_page_without_login_goes_to_login(page: Page) -> None:
    page.goto("/teacher")
    expect(page).to_have_url(LOGIN_URL)


def test_forged_token_is_refused(page: Page) -> None:
    # Not /login: its own token check may answer after the token below is set, find it
    # forged and remove it before /admin asks (then /admin rightly says "log in first").
    page.goto("/halaman-yang-tidak-ada")
    expect(page.locator("#not-found")).to_be_visible()
    page.evaluate("localStorage.setItem('nexus_token', 'forged-token-value')")
    page.goto("/admin")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#login-error")).to_contain_text("Sesi Anda telah berakhir")


def test_unknown_page_shows_404(page: Page) -> None:
    page.goto("/halaman-yang-tidak-ada")
    expect(page.locator("#not-found")).to_be_visible()


def test_anyone_changes_their_own_password(page: Page, server_data_dir: Path) -> None:
    create_user_on_server(
        server_data_dir, "guru_sandi", "sandi-lama-2026", role="guru", full_name="Pak Sandi"
    )
    login(page, "guru_sandi", "sandi-lama-2026")
    expect(page.locator("#nav-teacher")).to_be_visible()
    page.locator("#password-open").click()
    page.locator("#password-current").fill("tebakan-salah")
    page.locator("#password-new").fill("sandi-baru-2026")
    page.locator("#password-confirm").fill("sandi-baru-2026")
    page.locator("#password-submit").click()
    expect(page.locator("#password-error")).to_contain_text("Kata sandi sekarang salah")
    page.locator("#password-current").fill("sandi-lama-2026")
    page.locator("#password-new").fill("sandi-baru-2026")
    page.locator("#password-confirm").fill("sandi-baru-2026")
    page.locator("#password-submit").click()
    expect(page.locator("#password-message")).to_contain_text("berhasil diubah")
    screenshot(page, "change-password")
    page.keyboard.press("Escape")
    page.locator("#logout").click()
    expect(page).to_have_url(LOGIN_URL)
    login(page, "guru_sandi", "sandi-lama-2026")
    expect(page.locator("#login-error")).to_be_visible()
    login(page, "guru_sandi", "sandi-baru-2026")
    expect(page.locator("#nav-teacher")).to_be_visible()
