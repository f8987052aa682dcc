"""Browser journey on « La classe en direct »: a teacher opens a séance in one browser, a learner joins
it from another (its own cookie) with the code, answers the page's quiz, and the teacher's board shows
the answer within a few seconds, without a click."""

import subprocess
import sys
import time

import pytest

from tests.browser.conftest import ROOT, goto, join_seance, open_seance, shot, wait_ready

pytestmark = pytest.mark.browser


def test_a_learners_answer_reaches_the_teachers_board(browser, app_url):
    teacher = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="fr-FR", base_url=app_url).new_page()
    learner = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="fr-FR", base_url=app_url).new_page()
    code = open_seance(teacher)
    assert len(code) == 6 and "cle=" not in teacher.url
    assert teacher.get_by_role("img", name="Le lien pour rejoindre, en QR code").count() + \
        teacher.locator('[data-testid="stImage"] img').count() >= 1

    join_seance(learner, code, "Léa")
    assert teacher.get_by_text("1 réponse").count() == 0
    start = time.monotonic()
    learner.get_by_text("75\u202f%").first.click()  # the quiz's calculation: 18 / 24
    teacher.get_by_text("1 réponse, 100\u202f% justes").wait_for(timeout=15_000)  # no click: the board refreshes
    print(f"FIGURE classe: the answer reached the board {time.monotonic() - start:.1f} s after the click")
    assert teacher.get_by_text("1 participant").count() == 1

    # The class experiment: code sizes spread over the class; the learner's is locked on « Entraîner ».
    teacher.get_by_role("button", name="Lancer l'expérience").click()
    wait_ready(teacher)
    goto(learner, "entrainer")
    learner.get_by_text("Expérience de classe").wait_for(timeout=30_000)
    learner.locator(".st-key-train_start button").click()
    teacher.get_by_text("1 résultat").wait_for(timeout=240_000)  # posted by the training service
    teacher.locator('[data-testid="stPlotlyChart"][aria-label*="erreur de validation"]').wait_for(timeout=30_000)
    wait_ready(teacher)
    assert teacher.get_by_test_id("stException").count() == 0 and learner.get_by_test_id("stException").count() == 0
    shot(teacher, "classe_tableau")
    teacher.context.close()
    learner.context.close()


def test_three_learners_join_answer_and_train_in_a_seance_kept_in_redis():
    """The class load run, small (`python -m bench.classe --learners 30` is the full one), with Redis."""
    run = subprocess.run([sys.executable, "-m", "bench.classe", "--learners", "3", "--redis"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    print(run.stdout)  # the figures, for the CI log
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "pages with an error: 0" in run.stdout and run.stdout.rstrip().endswith("PASS")
