"""A real server on loopback and Debian's Chromium driven by Playwright, for the browser tests.

One server and one browser per test process (xdist worker); each test gets its own browser context
(cookies) and signs up its own person, so tests stay independent while paying the start-up once.
Chromium is never downloaded: the Makefile installs Debian's package. Without it the browser
tests skip, unless PDS_TEST_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from consent.organisations import create_organisation, register_client
from pds.db import Database
from pds.keystore import FileKeyProvider, generate_key_material
from pds.migrate import upgrade
from pds.people.service import Role
from pds.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# RECIPES.md: the flags that make Debian's Chromium run headless as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
PDS = str(Path(sys.executable).parent / "pds")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# axe-core rules for WCAG 2.0 to 2.2 A and AA, plus best practices; serious or critical ones fail.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base: str
    data_dir: Path
    settings: Settings
    process: subprocess.Popen[str]

    def register_ngo(
        self, name: str, redirect_uri: str, scopes: list[str], *, public: bool = False
    ) -> tuple[str, str, str | None]:
        """An organisation and its OAuth client, as an administrator would create them.

        Returns (organisation id, client id, client secret).
        """
        db = Database(self.settings.resolved_database_url)
        try:
            with db.write() as conn:
                organisation_id = create_organisation(
                    conn, name=name, website="https://ngo.example", policy_url=None
                )
                issued = register_client(
                    conn,
                    organisation_id=organisation_id,
                    client_name=f"{name} field app",
                    redirect_uris=[redirect_uri],
                    allowed_scopes=scopes,
                    public=public,
                )
        finally:
            db.dispose()
        return organisation_id, issued.client_id, issued.client_secret

    def create_user(self, email: str, role: Role) -> None:
        """An account with a role only an operator can give (`pds user create --role`)."""
        command = [PDS, "user", "create", "--email", email]
        subprocess.run(
            [*command, "--role", role.value, "--password-stdin"],
            input=PASSWORD,
            env=server_env(self.settings, self.data_dir),
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )


def server_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update(
        {
            # The code under test is this checkout's, whichever way the package was installed.
            "PYTHONPATH": str(REPO),
            "PDS_ENVIRONMENT": "development",
            "PDS_DATA_DIR": str(data_dir),
            "PDS_PUBLIC_URL": settings.public_url,
            # Fast password hashing and no rate limits: the tests sign in many times a minute.
            "PDS_PASSWORD_TIME_COST": "1",
            "PDS_PASSWORD_MEMORY_KIB": "1024",
            "PDS_RATE_LIMIT_SIGNIN_PER_MINUTE": "0",
            "PDS_RATE_LIMIT_SIGNUP_PER_MINUTE": "0",
            "PDS_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
            "PDS_RATE_LIMIT_RECORD_WRITES_PER_MINUTE": "0",
            # Sign audit checkpoints every second, so an auditor sees new entries proven soon.
            "PDS_AUDIT_CHECKPOINT_EVERY_SECONDS": "1",
        }
    )
    return env


def _wait_ready(base: str, process: subprocess.Popen[str], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


def require_browser() -> None:
    """Skip (or, with PDS_TEST_REQUIRE_BROWSER set, fail) when Debian's Chromium is missing."""
    if Path(CHROMIUM).exists():
        return
    message = "Debian's chromium is not installed (`apt-get install -y chromium`; make test does)"
    if os.environ.get("PDS_TEST_REQUIRE_BROWSER"):
        pytest.fail(message + " and PDS_TEST_REQUIRE_BROWSER is set")
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`pds serve` (granian) on a free loopback port, with its own keys and SQLite database."""
    require_browser()  # every test that needs this server drives a browser against it
    data_dir = tmp_path_factory.mktemp("live")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    FileKeyProvider(data_dir / "keys" / "keyring.json").save(
        generate_key_material(development=True)
    )
    env = server_env(load_settings({"PDS_PUBLIC_URL": base}), data_dir)
    settings = load_settings({k: v for k, v in env.items() if k.startswith("PDS_")})
    db = Database(settings.resolved_database_url)
    upgrade(db)
    db.dispose()
    log = (data_dir / "server.log").open("w")  # read it when a page answers 500
    process = subprocess.Popen(
        [PDS, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_ready(base, process, data_dir / "server.log")
        yield LiveServer(base, data_dir, settings, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser (own cookies) at desktop size, in English unless a test switches."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def check_accessibility(page: Any, label: str) -> None:
    """axe-core at desktop width and at 360 px: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    original = page.viewport_size
    problems = []
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(Axe().axe_script)  # once per page load: it is half a megabyte
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        for violation in results["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(
                    f"{size['width']}px {violation['id']}: {violation['help']} {targets}"
                )
        assert_fits(page, size["width"], label)
    page.set_viewport_size(original)
    assert not problems, f"{label}: " + json.dumps(problems, indent=1)


def assert_fits(page: Any, width: int, label: str) -> None:
    """Nothing scrolls sideways: the page is usable at this width without panning."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{label}: {scroll_width}px wide at a {width}px viewport"


def screenshot(page: Any, name: str, *, phone: bool = False) -> None:
    """Save the page for the README (docs/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    if phone:
        page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(original)


def sign_up(page: Any, base: str, email: str) -> str:
    """Sign up through the page; returns the recovery code it showed."""
    page.goto(f"{base}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    recovery_code = page.locator("#recovery-code").inner_text()
    page.get_by_role("link", name="I have written it down: continue").click()
    page.wait_for_url(re.compile(r"/$"))
    return recovery_code


def sign_in(page: Any, base: str, email: str, *, next_path: str | None = None) -> None:
    page.goto(f"{base}/signin" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def add_record(
    page: Any,
    base: str,
    record_type: str,
    fields: dict[str, str],
    *,
    selects: dict[str, str] | None = None,
) -> None:
    """Fill in and save the form of one record type, by its labels, as a person would."""
    page.goto(f"{base}/records/new/{record_type}")
    for label, value in (selects or {}).items():
        page.get_by_label(label).select_option(value)
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "The record was added."
