"""A page's lesson and its closing, drawn as separate pieces.

lessons/<page>_plan.md (objectives, prerequisites, time) and lessons/<page>.md open the page;
lessons/<page>_exercices.md (guided exercises), lessons/<page>.toml (the quiz) and
lessons/<page>_retenir.md (« À retenir ») close it, after the experiment. A question of the quiz
with `predicts = "<run key>:<name>"` is a prediction about one run of the page: it is asked just
above that run's start button (prediction_ui), locked once the run has started, and set beside what
the run gave once it has (outcome_ui).

A number in a lesson is one of three kinds (tests/test_claims.py reads every lesson, quiz and caption):
- `{run:name}`, a figure of the learner's own run, filled in by the page (closing_ui's `run`); its
  line is left out until there is a run;
- `{held:key}`, a figure of the page's recipe, from lessons/claims.toml, where each claim names the
  test that holds it and the range that test checks;
- a figure from outside, in a sentence that names its source with a year: « (Hinton et
  Salakhutdinov, 2006) ».
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import tomllib
import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path

import streamlit as st

from ui import saved, seance
from ui.errors import callback
from ui.state import persist, state

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


PLACEHOLDER = re.compile(r"\{(held|run):(\w+)\}")


@cache
def claims() -> dict[str, dict]:
    """lessons/claims.toml: the recipe figures that lessons quote, by key (see the module's docstring)."""
    with open(LESSONS / "claims.toml", "rb") as f:
        return tomllib.load(f)


def fill(text: str, run: dict[str, str] | None = None) -> str:
    """`text` with its `{held:key}` replaced by the claims' text and its `{run:name}` by `run[name]`;
    a line with a `{run:name}` that `run` lacks (no run yet) is left out."""
    run = run or {}
    lines = [line for line in text.split("\n") if all(m[2] in run for m in PLACEHOLDER.finditer(line) if m[1] == "run")]
    return PLACEHOLDER.sub(lambda m: claims()[m[2]]["text"] if m[1] == "held" else run[m[2]], "\n".join(lines))


def lesson_text(name: str, run: dict[str, str] | None = None) -> str:
    return fill((LESSONS / f"{name}.md").read_text(encoding="utf-8"), run)


@cache
def load_quiz(page_id: str) -> tuple[dict, ...]:
    """Questions of lessons/<page_id>.toml: question, choices, answer (index), explanation, and
    optionally kind: "prediction" (asked before running the experiment) or "calculation", and
    predicts: the run it is about (see the module's docstring).

    The right answers of a page are spread over the answer slots (each goes to a slot used least so
    far, drawn with the page's name as seed), and each question's other choices are shuffled with a seed of
    its own: the same order for every learner, so a class can talk about « la deuxième réponse ».
    `answer` follows its choice.
    """
    with open(LESSONS / f"{page_id}.toml", "rb") as f:
        questions = [{name: [fill(c) for c in v] if name == "choices" else fill(v) if isinstance(v, str) else v
                      for name, v in q.items()} for q in tomllib.load(f)["questions"]]
    rng, used, shuffled = random.Random(page_id), [0] * max(len(q["choices"]) for q in questions), []
    for i, q in enumerate(questions):
        n = len(q["choices"])
        slot = rng.choice([s for s in range(n) if used[s] == min(used[:n])])  # a slot used least so far
        used[slot] += 1
        others = [j for j in range(n) if j != q["answer"]]
        random.Random(f"{page_id}/{i}").shuffle(others)
        order = others[:slot] + [q["answer"]] + others[slot:]
        shuffled.append({**q, "choices": [q["choices"][j] for j in order], "answer": order.index(q["answer"])})
    return tuple(shuffled)


def quiz_score() -> tuple[int, int]:
    """(right answers, questions answered) over all quizzes of this session."""
    answers = [a["correct"] for page in state.get("quiz", {}).values() for a in page.values()]
    return sum(answers), len(answers)


def quiz_results_csv(name: str) -> bytes:
    """The learner's answers as UTF-8 CSV: name, page, question, answer, correct (1/0), time."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nom", "page", "question", "réponse", "correcte", "horodatage"])
    for page_id, answers in state.get("quiz", {}).items():
        questions = load_quiz(page_id)
        for i, a in sorted(answers.items()):
            writer.writerow([name, page_id, questions[i]["question"], a["answer"], int(a["correct"]), a["time"]])
    return out.getvalue().encode("utf-8")


def quiz_results_ui() -> None:
    """The learner's name or pseudonym and « Télécharger mes résultats » (a CSV a teacher collects)."""
    persist(quiz_name="")
    name = st.text_input("Votre nom ou pseudonyme", key="quiz_name", max_chars=40,
                         help="Écrit dans le fichier et dans son nom, pour que l'enseignant s'y retrouve.")
    stem = "".join(c if c.isalnum() else "_" for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c)).strip("_") or "eleve"
    st.download_button("Télécharger mes résultats", quiz_results_csv(name.strip()), file_name=f"quiz_{stem}.csv",
                       mime="text/csv", key="quiz_download", disabled=not quiz_score()[1],
                       help="Une ligne par question répondue : page, question, réponse, correcte ou non, heure.")


def _record_answer(page_id: str, i: int) -> None:
    # A callback, so the score is up to date before any part of the page draws it.
    choice, q = state[f"quiz_{page_id}_{i}"], load_quiz(page_id)[i]
    results = state.setdefault("quiz", {}).setdefault(page_id, {})
    if choice is None:
        results.pop(i, None)
    else:
        results[i] = {"answer": q["choices"][choice], "correct": choice == q["answer"],
                      "time": datetime.now().astimezone().isoformat(timespec="seconds")}
    saved.keep(quiz=json.dumps(state["quiz"]))
    seance.post_answer(page_id, i, choice)


def restore_quiz() -> None:
    """The quiz answers kept from this learner's earlier session (ui.saved), ticked again."""
    entry = saved.store().get(saved.token())
    answers = json.loads(entry.quiz) if entry is not None else {}
    for page_id, page in answers.items():
        if not (LESSONS / f"{page_id}.toml").is_file():
            continue
        questions = load_quiz(page_id)
        for i, a in page.items():
            i = int(i)
            if i < len(questions) and a["answer"] in questions[i]["choices"]:
                state.setdefault("quiz", {}).setdefault(page_id, {})[i] = a
                state[f"quiz_{page_id}_{i}"] = questions[i]["choices"].index(a["answer"])


def reading_minutes(text: str) -> int:
    """Minutes to read `text` at about 180 words a minute, a careful reader's pace for a lesson."""
    return max(1, round(len(text.split()) / 180))


def lesson_ui(page_id: str) -> None:
    """The page's plan in a box, then its lesson, folded: the experiment comes first, within reach
    on a projector and on a phone (predict, try, read, check), and the lesson is one click away."""
    goals, _, needs = lesson_text(f"{page_id}_plan").partition("**Prérequis**")
    st.container(border=True, key=f"{page_id}_plan").markdown(goals)
    text = lesson_text(page_id)
    with st.expander(f"Leçon, prérequis et durée (environ {reading_minutes(text)}\u00a0min de lecture)",
                     icon=":material/menu_book:", key=f"{page_id}_lesson"):
        if needs:
            st.markdown("**Prérequis**" + needs)
        st.markdown(text)


def closing_ui(page_id: str, run: dict[str, str] | None = None) -> None:
    """After the experiment: guided exercises (where the page has some; `run`: the learner's figures
    their `{run:name}` show), the quiz, « À retenir »."""
    if (LESSONS / f"{page_id}_exercices.md").exists():
        with st.expander("Exercices guidés", expanded=True, icon=":material/science:"):
            st.markdown(lesson_text(f"{page_id}_exercices", run))
    quiz_ui(page_id)
    st.badge("À retenir", icon=":material/bookmark:", color="green")
    st.success(lesson_text(f"{page_id}_retenir").removeprefix("**À retenir**").strip())
    if page_id != "synthese":
        st.page_link("pages/synthese.py", label="Ce qu'il faut retenir du cours, page par page",
                     icon=":material/checklist:")


def quiz_ui(page_id: str) -> None:
    """The page's quiz, each answer explained at once."""
    st.header("Quiz")
    for i, q in enumerate(load_quiz(page_id)):
        if "predicts" in q:
            continue  # asked above its run's start button
        label = {"prediction": "Prédiction — ", "calculation": "Calcul — "}.get(q.get("kind"), "") + q["question"]
        choice = st.radio(label, range(len(q["choices"])), index=None,
                          format_func=lambda j, q=q: q["choices"][j], key=f"quiz_{page_id}_{i}",
                          on_change=callback(_record_answer), args=(page_id, i))
        if choice is None:
            continue
        if choice == q["answer"]:
            st.success(f"Bonne réponse. {q['explanation']}")
        else:
            st.error(f"Pas tout à fait. La bonne réponse : « {q['choices'][q['answer']]} ». {q['explanation']}")


# --- predict, then see ---------------------------------------------------------------------------

def _predictions(page_id: str, run_key: str) -> list[tuple[int, dict]]:
    return [(i, q) for i, q in enumerate(load_quiz(page_id)) if q.get("predicts", "").split(":")[0] == run_key]


def prediction_ui(page_id: str, run_key: str, started: bool) -> None:
    """The page's predictions about the run `run_key`, to put just above its start button. Answering
    is optional; an answer is locked once the run has `started` (« Réinitialiser » unlocks it) and
    kept with the quiz's answers (a reload, the results file)."""
    predictions = _predictions(page_id, run_key)
    if not predictions:
        return
    for (i, q), col in zip(predictions, st.columns(len(predictions)) if len(predictions) > 1 else [st], strict=True):
        with col.container(border=True, key=f"predict_{page_id}_{i}"):
            # The badge inside the label: no extra line on a phone, and screen readers hear « Prédiction ».
            st.radio(f":violet-badge[Prédiction] {q['question']}", range(len(q["choices"])), index=None,
                     format_func=lambda j, q=q: q["choices"][j], key=f"quiz_{page_id}_{i}", disabled=started,
                     on_change=callback(_record_answer), args=(page_id, i),
                     help="Facultatif. Répondez avant de lancer : votre réponse est figée au départ, "
                          "puis comparée à ce que donne l'expérience.")
            if started:
                st.caption("Réponse figée pendant cette expérience ; « Réinitialiser » la libère."
                           if state.get(f"quiz_{page_id}_{i}") is not None else
                           "Pas de prédiction pour cette expérience.")


def outcome_ui(page_id: str, run_key: str, outcomes: dict[str, tuple[bool | None, str]]) -> None:
    """After the run: each prediction beside what happened. `outcomes` maps a prediction's name to
    (whether the run agrees with the key, None when the run does not test it; what it measured)."""
    for i, q in _predictions(page_id, run_key):
        if q["predicts"].split(":")[1] not in outcomes:
            continue
        agrees, measured = outcomes[q["predicts"].split(":")[1]]
        seance.post_outcome(page_id, i, agrees)
        choice, key = state.get(f"quiz_{page_id}_{i}"), q["choices"][q["answer"]]
        said = f"Vous aviez prédit « {q['choices'][choice]} »" if choice is not None else "Sans prédiction"
        if agrees is None:
            st.info(f"{said}. Ce réglage ne tranche pas cette prédiction : {measured}",
                    icon=":material/help:")
        elif not agrees:
            st.warning(f"{said}. Votre expérience ne donne pas la réponse attendue, « {key} » : {measured} "
                       "La réponse attendue vaut pour les réglages par défaut de la page ; une autre graine ou un "
                       f"autre réglage peut renverser un écart faible. {q['explanation']}", icon=":material/science:")
        elif choice is None:
            st.info(f"L'expérience donne « {key} » : {measured} {q['explanation']}", icon=":material/science:")
        elif choice == q["answer"]:
            st.success(f"{said} ; l'expérience vous donne raison : {measured} {q['explanation']}",
                       icon=":material/science:")
        else:
            st.error(f"{said} ; l'expérience donne « {key} » : {measured} {q['explanation']}",
                     icon=":material/science:")
