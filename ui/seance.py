"""A browser's part in « La classe en direct »: the séance it joined as a learner, or holds as its teacher.

Kept in the session (state["seance"], state["seance_teacher"]) and, for a reload, in the reload-safe
store (ui.saved, field `seance`). Joining is optional: without it, nothing leaves the learner's session.
A learner's quiz and prediction answers go to the séance as they are given (`post_answer`); the
séances themselves live in runner.seances (in this process, or in Redis with AE_REDIS_URL).
"""

from __future__ import annotations

import json
import os

import streamlit as st

from runner.seances import SeanceError, normal_code, seance_store
from runner.store import StoreBusy
from ui import saved
from ui.state import state

PASSWORD_ENV = "AE_TEACHER_PASSWORD"


def teacher_password() -> str:
    """The password a school server asks before opening a séance ("" on Community Cloud: anyone may)."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    try:
        return str(st.secrets.get(PASSWORD_ENV, ""))
    except Exception:  # no secrets file: st.secrets raises rather than being empty
        return ""


def joined() -> dict | None:
    """{"code", "learner", "name"} of the séance this learner joined, or None."""
    return state.get("seance")


def held() -> dict | None:
    """{"code", "secret"} of the séance this browser holds as its teacher, or None."""
    return state.get("seance_teacher")


def join(code: str, pseudonym: str) -> None:
    """Join `code` as `pseudonym` (SeanceError in French when refused), then send the answers given so far."""
    store = seance_store()
    learner = store.join(code, pseudonym, saved.token())
    code = normal_code(code)
    state["seance"] = {"code": code, "learner": learner, "name": store.pseudonym(code, learner)}
    _keep()
    for page_id, answers in state.get("quiz", {}).items():
        for i in answers:
            post_answer(page_id, int(i), state.get(f"quiz_{page_id}_{i}"))


def leave() -> None:
    state.pop("seance", None)
    _keep()


def hold(code: str, secret: str) -> None:
    """Become the teacher of `code` in this browser, once `secret` opens its board (SeanceError otherwise)."""
    seance_store().board(code, secret)
    state["seance_teacher"] = {"code": code, "secret": secret}
    _keep()


def release() -> None:
    state.pop("seance_teacher", None)
    _keep()


def post_answer(page_id: str, i: int, choice: int | None) -> None:
    """Send this learner's answer to question i of `page_id` to their séance, if they joined one. A séance
    that is gone (closed, expired) is left quietly: the answer stays the learner's."""
    member = joined()
    if member is None or choice is None:
        return
    try:
        seance_store().answer(member["code"], member["learner"], f"{page_id}:{i}", int(choice))
    except SeanceError:
        leave()
    except StoreBusy:
        pass  # the learner's own answer is kept; the board misses it this time


def restore() -> None:
    """The séance of this browser's earlier session (ui.saved), if it still exists."""
    entry = saved.store().get(saved.token())
    kept = json.loads(entry.seance) if entry is not None else {}
    store = seance_store()
    member, teacher = kept.get("learner"), kept.get("teacher")
    if member and store.pseudonym(member["code"], member["learner"]) is not None:
        state["seance"] = member
    if teacher:
        try:
            store.board(teacher["code"], teacher["secret"])
            state["seance_teacher"] = teacher
        except SeanceError:
            pass


def _keep() -> None:
    saved.keep(seance=json.dumps({"learner": state.get("seance"), "teacher": state.get("seance_teacher")}))
