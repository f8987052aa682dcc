"""Browser fixtures: a real `streamlit run app.py` on a loopback port, driven by Debian's Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # Several learners in one browser: no page is a throttled background tab, as each
                 # learner's own browser would be in a classroom.
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _require_browser():
    """Skip without Chromium or Playwright (a failure in CI: tests.conftest.skip_or_fail)."""
    from tests.conftest import skip_or_fail

    missing = None
    if not Path(CHROMIUM).exists():
        missing = "Debian's chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed"
    if missing:
        skip_or_fail(missing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict | None = None, stderr=subprocess.PIPE) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:port; returns once it answers its health check.

    MNIST comes from the offline folder when there is one; any other download goes to a proxy on
    loopback that refuses at once, so the offline path is what the browser sees.
    """
    from tests.conftest import MNIST8K

    env = {"AE_DATA_DIR": str(MNIST8K), "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not answer within 60 s")


@pytest.fixture(scope="session")
def app_url():
    _require_browser()
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def stop_server(proc: subprocess.Popen) -> float:
    """Stop a server started by start_server; returns the seconds its shutdown took (killed after 30)."""
    start = time.time()
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.time() - start


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR",
                                  base_url=app_url, accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def goto(page, url_path: str = "", timeout_ms: int = 60_000):
    """Open a page of the app and wait until its script has finished running."""
    page.goto(f"/{url_path}")
    wait_ready(page, timeout_ms)


def open_from_menu(page, label: str, timeout_ms: int = 60_000):
    """Open the home page, then the page named `label` in the sidebar menu, as a learner would (a typed
    address of an unvisited page first meets Streamlit's file-name routing: see route_through_app)."""
    goto(page, "", timeout_ms)
    page.get_by_test_id("stSidebarNav").get_by_text(label).click()
    wait_ready(page, timeout_ms)


def wait_ready(page, timeout_ms: int = 60_000):
    page.wait_for_selector(READY, timeout=timeout_ms)
    page.wait_for_timeout(300)  # let the last elements paint
    page.wait_for_selector(READY, timeout=timeout_ms)


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as artifacts/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_seance(teacher) -> str:
    """Open a séance on « La classe en direct » as a teacher would; returns its six-letter code."""
    goto(teacher, "classe")
    teacher.get_by_role("button", name="Ouvrir une séance").click()
    teacher.get_by_text("Code à donner à la classe").wait_for(timeout=60_000)
    wait_ready(teacher)
    return teacher.get_by_text("Code à donner à la classe").inner_text().split(":")[-1].replace(" ", "").strip()


def join_seance(learner, code: str, pseudonym: str, timeout_ms: int = 60_000) -> None:
    """Join séance `code` through its join link, as a learner would."""
    goto(learner, f"classe?rejoindre={code}", timeout_ms)
    assert learner.get_by_label("Code de la séance (six lettres)").input_value() == code  # the link fills it in
    learner.get_by_label("Votre pseudonyme").fill(pseudonym)
    learner.get_by_role("button", name="Rejoindre").click()
    learner.get_by_text("Vous avez rejoint la séance").wait_for(timeout=timeout_ms)
    wait_ready(learner, timeout_ms)


def draw_a_one(page) -> None:
    """Draw a vertical stroke on the page's canvas with the mouse, as a learner would."""
    # streamlit-drawable-canvas 0.13 draws in the page (a shadow root, which locators enter), under its key
    canvas = page.locator('[class*="st-key-"][class*="_drawing"] canvas').last
    canvas.wait_for(state="visible", timeout=60_000)  # the component's script loads after the page
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x, y + i * box["height"] * 0.035)
    page.mouse.up()
    page.wait_for_timeout(500)
    wait_ready(page)
