"""Driving the app in AppTest like a learner: click a button, run until a live training ends."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(page: str | None = None, **state) -> AppTest:
    """The app run once, then switched to `page` (a path such as "pages/entrainer.py") when given.
    `state` is put in the session state before the first run."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> None:
    """Click the button labelled `label` and rerun."""
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception


def train_to_end(at: AppTest, key: str, limit: int = 400) -> None:
    """Rerun, as the panel's timer would, until the learner's job in st.session_state[key] has ended
    and the page has drawn its end (AppTest never fires run_every; the server's workers train)."""
    for _ in range(limit):
        if not at.session_state[key].running:
            break
        time.sleep(0.1)
        at.run()
        assert not at.exception, at.exception
    job = at.session_state[key]
    assert job.trained and not job.running, job.error


def start_and_train(at: AppTest, key: str, limit: int = 400) -> AppTest:
    """Press the start button of the job in st.session_state[key] and train it to the end."""
    at.button(key=f"{key}_start").click().run()
    train_to_end(at, key, limit)
    return at


def memo(at: AppTest, name: str):
    """The value the page memoised under `name` (ui.state.memo)."""
    return at.session_state["_memo"][name][1]
