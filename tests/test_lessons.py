"""Every page has a lesson and a quiz; every quiz is well formed."""

import re
import tomllib

import pytest

from tests.pages import ROOT, routed_pages


@pytest.mark.parametrize("page_id", [p.name for p in routed_pages()])
def test_page_has_lesson_and_quiz(page_id):
    lesson = (ROOT / "lessons" / f"{page_id}.md").read_text(encoding="utf-8")
    assert "Références" in lesson and len(lesson) > 1000
    with open(ROOT / "lessons" / f"{page_id}.toml", "rb") as f:
        questions = tomllib.load(f)["questions"]
    assert 2 <= len(questions) <= 7
    kinds = [q.get("kind") for q in questions]
    no_experiment = page_id in ("accueil", "synthese", "classe")  # classe: a tool for the other pages
    assert "calculation" in kinds  # compute by hand
    # Predict before running: every page with an experiment asks at least one prediction about one of its runs.
    assert no_experiment or any(q.get("kind") == "prediction" and "predicts" in q for q in questions)
    for name in ("plan", "retenir") if no_experiment else ("plan", "exercices", "retenir"):
        assert (ROOT / "lessons" / f"{page_id}_{name}.md").exists(), name
    for q in questions:
        assert set(q) - {"kind", "predicts"} == {"question", "choices", "answer", "explanation"}
        assert "predicts" not in q or (q.get("kind") == "prediction" and re.fullmatch(r"\w+:\w+", q["predicts"]))
        assert q.get("kind", "prediction") in ("prediction", "calculation")
        assert len(q["choices"]) == len(set(q["choices"])) >= 2
        assert isinstance(q["answer"], int) and 0 <= q["answer"] < len(q["choices"])
        assert q["question"].strip() and q["explanation"].strip()


@pytest.mark.parametrize("path", sorted((ROOT / "lessons").glob("*.md")), ids=lambda p: p.name)
def test_lessons_are_french_and_clean(path):
    text = path.read_text(encoding="utf-8")
    assert re.search(r"[éèàçê]", text), "no accented letter: is this French?"
    assert "TODO" not in text and "Lorem" not in text


def test_quiz_choices_are_shuffled_with_a_fixed_seed_and_keep_their_answer():
    from ui.lesson import load_quiz

    longest = []
    for page_id in [p.name for p in routed_pages()]:
        with open(ROOT / "lessons" / f"{page_id}.toml", "rb") as f:
            written = tomllib.load(f)["questions"]
        shown = load_quiz(page_id)
        assert shown == load_quiz.__wrapped__(page_id)  # the same order for every learner
        positions = []
        for w, s in zip(written, shown, strict=True):
            assert sorted(s["choices"]) == sorted(w["choices"])
            assert s["choices"][s["answer"]] == w["choices"][w["answer"]]
            positions.append(s["answer"])
            longest.append(max(s["choices"], key=len) == s["choices"][s["answer"]])
        # On each page, no answer slot holds more than 40 % of the right answers.
        assert max(map(positions.count, set(positions))) <= 0.4 * len(positions), (page_id, positions)
    # Across the app, the right answer is the longest choice in at most 30 % of the questions.
    assert sum(longest) <= 0.3 * len(longest), (sum(longest), len(longest))
