"""A page's lesson and its closing, drawn as separate pieces.

lessons/<page>_plan.md (objectives, prerequisites, time) and lessons/<page>.md open the page;
lessons/<page>_exercices.md (guided exercises), lessons/<page>.toml (the quiz) and
lessons/<page>_retenir.md (« À retenir ») close it, after the experiment.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

from ui.state import state

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def lesson_text(name: str) -> str:
    return (LESSONS / f"{name}.md").read_text(encoding="utf-8")


def load_quiz(page_id: str) -> list[dict]:
    """Questions of lessons/<page_id>.toml: question, choices, answer (index), explanation, and
    optionally kind: "prediction" (asked before running the experiment) or "calculation"."""
    with open(LESSONS / f"{page_id}.toml", "rb") as f:
        return tomllib.load(f)["questions"]


def quiz_score() -> tuple[int, int]:
    """(right answers, questions answered) over all quizzes of this session."""
    answers = [ok for page in state.get("quiz", {}).values() for ok in page.values()]
    return sum(answers), len(answers)


def _record_answer(page_id: str, i: int, answer: int) -> None:
    # A callback, so the score is up to date before any part of the page draws it.
    choice = state[f"quiz_{page_id}_{i}"]
    results = state.setdefault("quiz", {}).setdefault(page_id, {})
    if choice is None:
        results.pop(i, None)
    else:
        results[i] = choice == answer


def lesson_ui(page_id: str) -> None:
    """The page's plan in a box, then its lesson, open (a learner may fold it away)."""
    st.container(border=True, key=f"{page_id}_plan").markdown(lesson_text(f"{page_id}_plan"))
    with st.expander("Leçon", expanded=True, icon=":material/menu_book:"):
        st.markdown(lesson_text(page_id))


def closing_ui(page_id: str) -> None:
    """After the experiment: guided exercises (where the page has some), the quiz, « À retenir »."""
    if (LESSONS / f"{page_id}_exercices.md").exists():
        with st.expander("Exercices guidés", expanded=True, icon=":material/science:"):
            st.markdown(lesson_text(f"{page_id}_exercices"))
    quiz_ui(page_id)
    st.success(lesson_text(f"{page_id}_retenir"), icon=":material/bookmark:")


def quiz_ui(page_id: str) -> None:
    """The page's quiz, each answer explained at once."""
    st.subheader("Quiz")
    for i, q in enumerate(load_quiz(page_id)):
        label = {"prediction": "Prédiction — ", "calculation": "Calcul — "}.get(q.get("kind"), "") + q["question"]
        choice = st.radio(label, range(len(q["choices"])), index=None,
                          format_func=lambda j, q=q: q["choices"][j], key=f"quiz_{page_id}_{i}",
                          on_change=_record_answer, args=(page_id, i, q["answer"]))
        if choice is None:
            continue
        if choice == q["answer"]:
            st.success(f"Bonne réponse. {q['explanation']}")
        else:
            st.error(f"Pas tout à fait. La bonne réponse : « {q['choices'][q['answer']]} ». {q['explanation']}")
