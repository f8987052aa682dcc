"""Driving the app in AppTest like a learner: click a button, run until a live training ends."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.live import TICK_S

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


def train_to_end(at: AppTest, key: str, timeout_s: float = 120.0) -> None:
    """Rerun about once a second, as the panel's timer does (AppTest never fires run_every; the
    server's workers train meanwhile), and at once when the learner's job in st.session_state[key]
    has ended, until the page has drawn that end."""
    deadline, next_run = time.monotonic() + timeout_s, time.monotonic() + TICK_S
    while at.session_state[key].running and time.monotonic() < deadline:
        time.sleep(0.05)
        if at.session_state[key].done or time.monotonic() >= next_run:
            at.run()
            assert not at.exception, at.exception
            next_run = time.monotonic() + TICK_S
    job = at.session_state[key]
    assert job.trained and not job.running, job.error


def start_and_train(at: AppTest, key: str) -> AppTest:
    """Press the start button of the job in st.session_state[key] and train it to the end."""
    at.button(key=f"{key}_start").click().run()
    train_to_end(at, key)
    return at


def memo(at: AppTest, name: str):
    """The value the page memoised under `name` (ui.state.memo)."""
    return at.session_state["_memo"][name][1]


def short_recipes(monkeypatch, *names: str, epochs: int = 2) -> None:
    """Make the ae_core.recipes functions `names` train `epochs` epochs, for an AppTest that checks
    what a page does, not what its full recipe reaches (the quality tests hold that)."""
    import dataclasses

    from ae_core import recipes

    def shorten(spec):
        if isinstance(spec, tuple):
            return tuple(shorten(s) for s in spec)
        return dataclasses.replace(spec, train=dataclasses.replace(spec.train, epochs=epochs))

    for name in names:
        real = getattr(recipes, name)
        monkeypatch.setattr(recipes, name, lambda *args, _real=real, **kwargs: shorten(_real(*args, **kwargs)))
