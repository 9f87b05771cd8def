"""A real Nexus in prod mode (SQLite, demo school) and Debian's Chromium driven by Playwright.

NEXUS_E2E_EMPTY_SCHOOL=1 starts the server on a new school instead: no demo data, only the
admin account (the demo admin's login) and one subject, made with the `nexus` CLI as a school
would. Only the tests written for both (test_class_assignment.py) are meant to run that way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from nexus_app.services.demo import DEMO_ADMIN

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("NEXUS_E2E_PORT", "3117"))
BASE_URL = f"http://127.0.0.1:{PORT}"
CHROMIUM = "/usr/bin/chromium"
# Screenshots go to a temporary folder, so a test run leaves the tree clean; `make screenshots`
# points this at docs/screenshots on purpose.
SCREENSHOTS = Path(
    os.environ.get("NEXUS_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "nexus-e2e-screenshots"
)
STARTUP_SECONDS = 600
EMPTY_SCHOOL = os.environ.get("NEXUS_E2E_EMPTY_SCHOOL") == "1"
# A cheap laptop, a busy 2-core server: give the page time, not flaky failures.
expect.set_options(timeout=20_000)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `url`/login answers 200; the server's log tail if it exits or never answers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nexus serve exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"nexus serve did not answer in time:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def server_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The running server's NEXUS_DATA_DIR (its SQLite file is `nexus.db` in there)."""
    return tmp_path_factory.mktemp("e2e-data")


@pytest.fixture(scope="session")
def server(server_data_dir: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/ensure-services.sh")
    data_dir = server_data_dir
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # the embedded SQLite default, as a school would start
    env["NEXUS_DATA_DIR"] = str(data_dir)
    env["NEXUS_SCHEDULER"] = "off"  # no nightly jobs racing the browser tests
    env["NEXUS_MIDTRANS_SERVER_KEY"] = "e2e-midtrans-server-key"
    nexus = str(ROOT / ".venv" / "bin" / "nexus")
    subprocess.run([nexus, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    if EMPTY_SCHOOL:
        admin = ["--username", DEMO_ADMIN.username, "--role", "admin", "--password-stdin"]
        subprocess.run(
            [nexus, "user", "create", *admin, "--full-name", DEMO_ADMIN.full_name],
            input=DEMO_ADMIN.password + "\n",
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        subject = ["--grade", "11", "--name", "Fisika", "--code", "FIS_11"]
        subprocess.run(
            [nexus, "subject", "create", *subject],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run([nexus, "demo", "seed"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [nexus, "serve", "--port", str(PORT)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(BASE_URL, process, log)
        yield BASE_URL
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 800}, locale="id-ID"
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.locator("#login-submit").click()


def create_user_on_server(
    data_dir: Path, username: str, password: str, *, role: str, full_name: str
) -> None:
    """An extra account in the running server's database, made with the `nexus` CLI."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["NEXUS_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "nexus"),
            "user",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--full-name",
            full_name,
            "--password-stdin",
        ],
        input=password + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
