"""A browser's part in « La classe en direct »: the séance it joined as a learner, or holds as its teacher.

Kept in the session (state["seance"], state["seance_teacher"]) and, for a reload, in the reload-safe
store (ui.saved, field `seance`). Joining is optional: without it, nothing leaves the learner's session.
A learner's quiz and prediction answers go to the séance as they are given (`post_answer`); the
séances themselves live in runner.seances (in this process, or in Redis with AE_REDIS_URL).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import streamlit as st

from runner.seances import SeanceError, normal_code, seance_store
from runner.store import StoreBusy
from ui import saved
from ui.state import on_dataset_change, state

PASSWORD_ENV = "AE_TEACHER_PASSWORD"
# The class experiment's templates: a setting of « Entraîner » (its address key) spread over the class.
TEMPLATES = {
    "k": ("la taille du code k", [2, 4, 8, 16, 32]),
    "lr": ("le taux d'apprentissage", [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]),
    "n": ("le bruit ajouté à l'entrée", [0.0, 0.25, 0.5, 0.75, 1.0]),
    "ni": ("le nombre d'images d'entraînement", [50, 200, 1000, 0]),
}


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


def assignment() -> dict | None:
    """This learner's setting of the class experiment, {"d": dataset, <address key>: value}, or None."""
    member = joined()
    if member is None:
        return None
    try:
        return seance_store().assigned(member["code"], member["learner"])
    except (SeanceError, StoreBusy):
        return None


def apply_assignment() -> None:
    """Before the sidebar draws: the class experiment's dataset, and the setting « Entraîner » must lock."""
    given = assignment()
    state["_forced_entrainer"] = {k: v for k, v in (given or {}).items() if k != "d"}
    if given and state.get("dataset") != given["d"]:
        state["dataset"] = given["d"]
        on_dataset_change()


def assignment_note() -> None:
    """On « Entraîner », the sentence that says which setting the class experiment locked, and why."""
    forced = state.get("_forced_entrainer")
    if forced:
        (short, value), = forced.items()
        shown = "toutes" if short == "ni" and value == 0 else f"{value:g}".replace(".", ",")
        st.info(f"Expérience de classe\u202f: votre enseignant fait varier {TEMPLATES[short][0]} d'un élève à "
                f"l'autre\u202f; la vôtre vaut {shown}, verrouillée. À la fin de votre entraînement, votre erreur "
                "de validation part au tableau de la classe.", icon=":material/groups:")


def result_poster(key: str, spec) -> Callable | None:
    """For the training page's job of a learner in a class experiment: the function the training service
    calls when the job ends, which sends its held-out error to the séance (None otherwise)."""
    given, member = assignment(), joined()
    if key != "train" or not given or isinstance(spec, tuple) or spec.dataset != given["d"]:
        return None
    (short, value), = ((k, v) for k, v in given.items() if k != "d")
    if setting_of(spec, short) != value:
        return None
    code, learner, experiment = member["code"], member["learner"], experiment_name(given)

    def post(job) -> None:
        if job.trained:
            try:
                seance_store().result(code, learner, experiment, {"x": float(value),
                                                                 "val_mse": job.trainer.history.val_mse[-1]})
            except (SeanceError, StoreBusy):
                pass  # the séance closed while this learner trained: their result stays theirs
    return post


def setting_of(spec, short: str) -> float:
    """The value of the address key `short` of « Entraîner » in a run specification."""
    return {"k": lambda: spec.model.latent_dim, "lr": lambda: spec.train.lr,
            "n": lambda: spec.corruption.level, "ni": lambda: spec.rows.max_train or 0}[short]()


def experiment_name(given: dict) -> str:
    """The experiment's name in the séance: the template and the dataset, "k_digits"."""
    short = next(k for k in given if k != "d")
    return f"{short}_{given['d']}"


def outcome_key(page_id: str, i: int) -> str:
    """The séance's name for what this learner's experiment gave on prediction i of `page_id`."""
    return f"pred_{page_id}_{i}"


def post_outcome(page_id: str, i: int, agrees: bool | None) -> None:
    """Tell this learner's séance whether their experiment gave prediction i's expected answer (once per
    change: a page redraws its outcome on every rerun)."""
    member, mark = joined(), f"_outcome_{page_id}_{i}"
    if member is None or agrees is None or state.get(mark) == (member["code"], agrees):
        return
    try:
        seance_store().result(member["code"], member["learner"], outcome_key(page_id, i), {"agrees": float(agrees)})
        state[mark] = (member["code"], agrees)
    except (SeanceError, StoreBusy):
        pass  # the learner's page is not held back by a séance that is gone or busy


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
