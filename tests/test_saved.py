"""Nothing lost on reload (ui.saved): the bounded store, and a second session of the same learner."""

import json
import secrets
import time

import pytest
import redis
from streamlit.testing.v1 import AppTest

from ae_core import ModelConfig, build_model, save_checkpoint
from runner.store import RedisBackend
from tests.app_driver import app, click, start_and_train
from tests.test_checkpoint import edited, set_weights
from ui.saved import MAX_AGE_S, Store, store

CONFIG = ModelConfig(image_shape=(1, 8, 8), latent_dim=3)


def session(token: str, page: str | None = "pages/entrainer.py") -> AppTest:
    """A new session (a reload, a second tab) of the learner whose browser sends `token`: the home
    page with app.py's shell, which restores, then `page` (AppTest runs it without the shell)."""
    return app(page, _token=token)


def sidebar(at: AppTest) -> str:
    """The texts of the home page's sidebar that say where the current model stands."""
    return " ".join(e.value for e in [*at.sidebar.caption, *at.sidebar.success])


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    """A new backend for ui.saved.Store: this process's memory, or a real redis-server (emptied first)."""
    if request.param == "memory":
        return lambda: None
    port = request.getfixturevalue("redis_port")
    redis.Redis(port=port).flushdb()
    return lambda: RedisBackend(redis.Redis(port=port))


def test_the_store_is_bounded_in_number_size_and_age(backend):
    s = Store(max_entries=3, max_bytes=10_000, max_age_s=3600, backend=backend())
    for t in "abcde":
        s.update(t, quiz="{}")
    assert len(s) == 3 and s.get("a") is None and s.get("e") is not None  # the oldest went first
    for t in "xyz":
        s.update(t, checkpoint=bytes(4000), dataset="digits")
    assert s.nbytes() <= 10_000 and s.get("z").checkpoint and s.get("x") is None
    s.update("big", checkpoint=bytes(20_000), quiz='{"accueil": {}}')  # too large: its quiz only
    assert s.get("big").checkpoint == b"" and s.get("big").quiz == '{"accueil": {}}'
    old = Store(max_age_s=0.05, backend=backend())
    old.update("t", quiz="{}")
    time.sleep(0.1)
    assert old.get("t") is None and len(old) == 0


def test_an_update_keeps_the_other_fields_and_forget_removes_the_entry(backend):
    s = Store(backend=backend())
    s.update("t", quiz='{"x": 1}')
    s.update("t", checkpoint=b"\x00\xffabc", dataset="digits")
    assert (s.get("t").quiz, s.get("t").checkpoint) == ('{"x": 1}', b"\x00\xffabc")
    s.forget("t")
    assert s.get("t") is None and len(s) == 0


def test_with_redis_another_replica_finds_the_entry_and_nothing_is_left_once_forgotten(redis_port):
    client = redis.Redis(port=redis_port)
    client.flushdb()
    first, second = (Store(backend=RedisBackend(redis.Redis(port=redis_port))) for _ in range(2))
    first.update("t", checkpoint=b"weights", dataset="digits", quiz='{"entrainer": {}}')
    assert second.get("t").checkpoint == b"weights" and len(second) == 1  # a reload on the other replica
    assert 0 < client.ttl("ae:saved:t") <= MAX_AGE_S  # expires in Redis too
    second.forget("t")
    assert first.get("t") is None and client.keys("ae:saved:*") == []


def test_a_reload_finds_the_model_its_curves_and_the_quiz_answers_and_nobody_else_does():
    token = secrets.token_hex(16)
    at = session(token)
    at.slider(key="train_epochs").set_value(3).run()
    start_and_train(at, "train")
    at.radio(key="quiz_entrainer_0").set_value(1).run()
    assert "current_model" in at.session_state

    assert "Entraîné sur" in sidebar(session(token, None))  # F5, or a second tab
    again = session(token)
    assert "Résultat" in [h.value for h in again.header]
    trained = at.session_state["train"].trainer.history
    assert again.session_state["current_model"].history.train_loss == trained.train_loss
    assert again.radio(key="quiz_entrainer_0").value == 1
    assert again.session_state["quiz"]["entrainer"][0] == at.session_state["quiz"]["entrainer"][0]

    other = session(secrets.token_hex(16), None)
    assert "Non entraîné" in sidebar(other) and "quiz" not in other.session_state


def test_a_stored_model_is_checked_as_an_upload_is():
    token = secrets.token_hex(16)
    store().update(token, checkpoint=edited(set_weights(float("nan"))), dataset="digits", history="")
    at = session(token, None)
    assert "Non entraîné" in sidebar(at) and not at.error
    assert store().get(token).checkpoint == b""  # dropped, not tried again


def _forget_dialog():
    from ui.shell import _confirm_forget

    _confirm_forget()


def test_oublier_mes_donnees_asks_first_then_clears_the_server_and_gives_a_new_token():
    token = secrets.token_hex(16)
    model = build_model(CONFIG, 0)
    store().update(token, checkpoint=save_checkpoint(model, CONFIG, {"dataset": "digits"}), dataset="digits",
                   quiz=json.dumps({"accueil": {"0": {"answer": "?", "correct": False, "time": ""}}}))
    assert "Entraîné sur" in sidebar(session(token, None))
    # The sidebar's button opens this dialog (AppTest runs app.py's shell on its first run only, so the
    # button itself is clicked in tests/browser/test_draw_and_reload_browser.py).
    at = AppTest.from_function(_forget_dialog)
    at.session_state["_token"] = token
    at.session_state["current_model"] = "a model"
    at.session_state["quiz"] = {}
    at.run()
    assert "effacés" in at.markdown[0].value
    click(at, "Annuler")
    assert at.session_state["current_model"] == "a model" and store().get(token) is not None
    at.run()
    click(at, "Oui, tout oublier")
    assert "current_model" not in at.session_state and store().get(token) is None
    assert at.session_state["_token"] != token and "quiz" not in at.session_state
    assert "Non entraîné" in sidebar(session(token, None))  # a reload that still sent the old cookie


def test_the_readme_states_the_stores_bounds():
    from pathlib import Path

    from ui.saved import MAX_AGE_S, MAX_BYTES, MAX_ENTRIES

    readme = Path(__file__).resolve().parents[1].joinpath("README.md").read_text(encoding="utf-8")
    assert (f"{MAX_AGE_S // 3600} heures après la dernière modification, {MAX_ENTRIES} élèves et "
            f"{MAX_BYTES // 2**20}\u00a0Mo au") in readme
