"""Finding 1 in a real browser: an admin leaves a shared tab, a student takes it over.

Everything the server sends after the student's login is read off the websocket, and
must hold nothing of the admin's session: no generated password, no account the admin
created or looked at, not the admin's name, not the admin's session token.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocket, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import create_user_on_server, login

pytestmark = pytest.mark.e2e

LOGIN_URL = re.compile(r"/login/?$")
ADMIN = ("admin_serah", "kata-sandi-kepala-2026", "Bu Kepala Serah Terima")
NEW_STUDENT = ("siswa_serah_terima", "Rara Serah Terima")
STUDENT = "siswa01"


class FrameLog:
    """Every websocket frame the page receives while `recording` is on."""

    def __init__(self, page: Page) -> None:
        self.recording = False
        self.frames: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        if self.recording:
            text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            self.frames.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.frames)


def _admin_leaves_secrets_on_screen(page: Page) -> dict[str, str]:
    login(page, ADMIN[0], ADMIN[1])
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.locator("#admin-nav-users").click()
    expect(page.locator("#users-table")).to_be_visible()
    # A new account with a generated password, left on show.
    page.locator("#new-role").select_option("siswa")
    page.locator("#new-username").fill(NEW_STUDENT[0])
    page.locator("#new-full-name").fill(NEW_STUDENT[1])
    page.locator("#new-class").fill("XII IPA 1")
    page.locator("#new-password").fill("")
    page.locator("#new-submit").click()
    created = page.locator("#new-password-result")
    expect(created).to_have_text(re.compile(r"^\S{4}-\S{4}-\S{4}$"))
    # Another account's panel with a freshly reset password, left on show.
    page.locator("#users-search").fill("siswa05")
    page.locator("#users-search-submit").click()
    page.locator("#user-manage-siswa05").click()
    page.locator("#panel-generate-password").click()
    reset = page.locator("#panel-password-result")
    expect(reset).to_have_text(re.compile(r"^\S{4}-\S{4}-\S{4}$"))
    page.locator("#users-clear-filters").click()
    expect(page.locator("#user-row-guru_bahasa")).to_be_visible()  # the list, page 1
    return {
        "created password": created.inner_text(),
        "reset password": reset.inner_text(),
        "admin token": page.evaluate("localStorage.getItem('nexus_token')"),
    }


def test_admin_to_student_on_one_tab_leaks_nothing(page: Page, server_data_dir: Path) -> None:
    create_user_on_server(server_data_dir, ADMIN[0], ADMIN[1], role="admin", full_name=ADMIN[2])
    log = FrameLog(page)
    secrets = _admin_leaves_secrets_on_screen(page)
    assert all(secrets.values())
    client_token = page.evaluate("sessionStorage.getItem('token')")

    page.locator("#logout").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#login-submit")).to_be_visible()
    # Logging out gave the tab a new Reflex client token (so a new, empty state tree); the
    # page saves it when its socket connects.
    page.wait_for_function("sessionStorage.getItem('token') !== null")
    new_client_token = page.evaluate("sessionStorage.getItem('token')")
    assert new_client_token and new_client_token != client_token

    log.recording = True
    page.locator("#login-username").fill(STUDENT)
    page.locator("#login-password").fill(STUDENT_PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#nav-practice")).to_be_visible()
    expect(page.locator("#user-name")).not_to_have_text("")
    page.reload()  # a hydrate: the whole state tree comes down the websocket
    expect(page.locator("#nav-practice")).to_be_visible()
    expect(page.locator("#user-name")).not_to_have_text("")
    page.wait_for_timeout(1500)  # let the page's own loads finish
    log.recording = False

    seen = log.text
    assert STUDENT in seen and "is_hydrated" in seen  # the frames really were read
    leaks = {
        **secrets,
        "admin username": ADMIN[0],
        "admin full name": ADMIN[2],
        "created username": NEW_STUDENT[0],
        "created full name": NEW_STUDENT[1],
        "a teacher from the users list": "guru_bahasa",
        "the reset account's name": "siswa05",
    }
    found = {label: value for label, value in leaks.items() if value in seen}
    assert found == {}, f"the student's tab received the admin's data: {found}"


def test_a_new_tab_is_logged_in_without_the_token_coming_back(page: Page) -> None:
    login(page, "siswa02", STUDENT_PASSWORD)
    expect(page.locator("#nav-practice")).to_be_visible()
    token = page.evaluate("localStorage.getItem('nexus_token')")
    assert token
    second = page.context.new_page()
    log = FrameLog(second)
    log.recording = True
    second.goto("/practice")
    expect(second.locator("#nav-practice")).to_be_visible()
    expect(second).to_have_url(re.compile(r"/practice/?$"))
    expect(second.locator("#user-name")).to_have_text(re.compile(r"\S"))
    second.reload()
    expect(second.locator("#nav-practice")).to_be_visible()
    assert "siswa02" in log.text
    assert token not in log.text  # the tab handed the token over; it never comes back
    # Logging out in the second tab ends the session for the first one as well.
    second.locator("#logout").click()
    expect(second).to_have_url(LOGIN_URL)
    page.locator("#nav-dashboard").click()
    expect(page).to_have_url(LOGIN_URL)
