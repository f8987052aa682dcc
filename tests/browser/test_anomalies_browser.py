"""Browser journey on « Détection d'anomalies »: upload a CSV, train, download the scored file."""

import csv
import io

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import draw_a_one, goto, shot, wait_ready

pytestmark = pytest.mark.browser
OUTLIERS = (7, 31, 52)


def measurements_csv(path) -> None:
    """60 rows of three correlated columns (semicolon, decimal comma), three rows breaking the pattern."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=60)
    x = np.c_[t, 2 * t, -t] + 0.05 * rng.normal(size=(60, 3))
    for i in OUTLIERS:
        x[i] = [1.5, -3.0, 1.5]  # each value is ordinary, their combination is not
    lines = ["longueur;largeur;profondeur"] + [";".join(f"{v:.3f}".replace(".", ",") for v in row) for row in x]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_upload_csv_train_and_download_the_scores(page, tmp_path):
    goto(page)  # through the menu, as a learner does: the page runs inside the app's navigation
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Détection d'anomalies").click()
    wait_ready(page)
    page.get_by_role("tab", name="Vos données (CSV)").click()
    page.get_by_text("Mon fichier CSV").click()
    wait_ready(page)
    measurements_csv(tmp_path / "mesures.csv")
    panel = page.get_by_role("tabpanel", name="Vos données (CSV)")
    panel.locator('input[type="file"]').set_input_files(tmp_path / "mesures.csv")
    page.get_by_text("séparateur : point-virgule ; 60 lignes, 3 colonnes").wait_for(timeout=30_000)

    page.get_by_role("button", name="Entraîner sur ces données").click()
    download_button = page.get_by_role("button", name="Télécharger le CSV avec les scores")
    download_button.wait_for(timeout=180_000)
    wait_ready(page)
    with page.expect_download() as info:
        download_button.click()
    assert info.value.suggested_filename == "mesures_scores.csv"
    info.value.save_as(tmp_path / "out.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8")), delimiter=";"))
    assert len(rows) == 60
    assert list(rows[0]) == ["longueur", "largeur", "profondeur", "score_anomalie", "anomalie"]
    assert rows[7]["longueur"] == "1,5"  # the learner's separator and decimal comma come back
    s = np.array([float(r["score_anomalie"].replace(",", ".")) for r in rows])
    assert set(np.argsort(-s)[:3]) == set(OUTLIERS)  # the planted rows get the highest scores
    assert {r["anomalie"] for r in rows} <= {"0", "1"}
    shot(page, "anomalies_csv")


def test_train_on_images_then_score_an_uploaded_drawing(page, tmp_path):
    goto(page)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Détection d'anomalies").click()
    wait_ready(page)
    page.get_by_role("button", name="Entraîner sur les classes normales").click()
    page.get_by_text("Comparaison sur la même séparation des données").wait_for(timeout=180_000)
    wait_ready(page)
    false_alarms = page.get_by_test_id("stMetric").filter(has_text="Fausses alertes")
    assert false_alarms.is_visible() and "%" in false_alarms.inner_text()  # next to the 5 % the preset aims at
    assert page.get_by_text("À retenir").is_visible() and page.get_by_text("Exercices guidés").is_visible()
    verdicts = ("gagne (AUC", "L'autoencodeur gagne ici", "font jeu égal")
    page.get_by_text(verdicts[0]).or_(page.get_by_text(verdicts[1])).or_(page.get_by_text(verdicts[2])).first.wait_for()
    panel = page.get_by_role("tabpanel", name="Images")
    draw_a_one(page)  # on the canvas of the « Dessiner » tab
    verdict = panel.get_by_role("tabpanel", name="Dessiner").get_by_text("pour un seuil de")
    verdict.wait_for(timeout=60_000)
    assert verdict.inner_text().startswith("Score ")
    shot(page, "anomalies_dessin")
    drawing = np.full((64, 64), 255, np.uint8)  # a dark "1" on white paper, as a learner would draw it
    drawing[10:54, 28:36] = 0
    Image.fromarray(drawing).save(tmp_path / "un.png")
    panel.get_by_role("tab", name="Importer une image").click()
    panel.locator('input[type="file"]').set_input_files(tmp_path / "un.png")
    verdict = panel.get_by_role("tabpanel", name="Importer une image").get_by_text("pour un seuil de")
    verdict.wait_for(timeout=60_000)
    assert verdict.inner_text().startswith("Score ")
    verdict.scroll_into_view_if_needed()
    shot(page, "anomalies_images")
