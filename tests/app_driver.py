"""Driving the app in AppTest like a learner: click a button, run until a live training ends."""

from streamlit.testing.v1 import AppTest


def click(at: AppTest, label: str) -> None:
    """Click the button labelled `label` and rerun."""
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception


def train_to_end(at: AppTest, key: str, limit: int = 200) -> None:
    """Rerun until the trainer in st.session_state[key] stops (AppTest never fires run_every)."""
    for _ in range(limit):
        if not at.session_state[f"{key}_running"]:
            break
        at.run()
        assert not at.exception, at.exception
    trainer = at.session_state[key]
    assert trainer.done and trainer.diverged_at is None
