"""App test of the page « Détection d'anomalies »: training, threshold, presets, the learner's files."""

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from ae_core.anomaly import confusion_at, threshold_mean_std

PAGE = "pages/anomalies.py"


def metrics(at) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(float(m.value.replace(",", ".")))
    return out


def train(at, key: str, max_runs: int = 400) -> None:
    """Click Démarrer and drive the fragment by hand (AppTest never fires run_every)."""
    at.button(key=f"{key}_start").click().run()
    for _ in range(max_runs):
        if at.session_state[key].done:
            break
        at.run()
    assert at.session_state[key].done and at.session_state[key].diverged_at is None
    at.run()


@pytest.fixture
def at():
    app = AppTest.from_file("../app.py", default_timeout=120)
    app.switch_page(PAGE)
    app.run()
    assert not app.exception, app.exception
    return app


def test_page_opens_with_lesson_and_both_parts(at):
    assert at.title[0].value == "Détection d'anomalies"
    assert any("erreur de reconstruction" in m.value for m in at.markdown)
    assert [t.label for t in at.tabs] == ["Images", "Vos données (CSV)"]
    assert {"anomalies_train_start", "anomalies_tab_start"} <= {b.key for b in at.button}


def test_images_training_then_threshold_and_presets(at):
    train(at, "anomalies_train")
    assert not at.exception and not at.error
    _, train_s, test_s = at.session_state["anomalies_scores"]
    y = at.session_state["anomalies_run"]["split"].test_is_anomaly.numpy()
    slider = at.slider(key="anomalies_threshold")
    assert slider.value == pytest.approx(np.percentile(train_s, 95), rel=1e-4)  # default preset
    before = metrics(at)
    assert before["Rappel"][0] == pytest.approx(confusion_at(test_s, y, slider.value).recall, abs=1e-3)
    assert before["Rappel"][0] > 0.5  # digits: one digit against the nine others is easy

    slider.set_value(float(np.percentile(test_s, 99))).run()
    after = metrics(at)
    assert after["Rappel"][0] < before["Rappel"][0]  # a higher threshold flags fewer anomalies
    assert after["Précision"][0] == pytest.approx(
        confusion_at(test_s, y, at.slider(key="anomalies_threshold").value).precision, abs=1e-3)

    at.button(key="anomalies_threshold_3sigma").click().run()
    assert at.slider(key="anomalies_threshold").value == pytest.approx(threshold_mean_std(train_s), rel=1e-4)
    table = at.dataframe[1].value  # AUC of the autoencoder and both baselines
    assert list(table.index) == ["Autoencodeur", "ACP à 8 composantes", "Forêt d'isolement"]
    assert (table["AUC"] > 0.7).all()


def test_uploaded_image_is_scored_and_bad_image_explained(at):
    train(at, "anomalies_train")
    digit = np.full((40, 40), 255, np.uint8)
    digit[8:32, 17:23] = 0
    buf = io.BytesIO()
    Image.fromarray(digit).save(buf, "PNG")
    at.file_uploader(key="anomalies_image").set_value(("un.png", buf.getvalue(), "image/png")).run()
    assert not at.exception and not at.error
    assert any(m.value.startswith("Score ") for m in at.markdown)
    at.file_uploader(key="anomalies_image").set_value(("faux.png", b"pas une image", "image/png")).run()
    assert any("pas une image" in e.value for e in at.error)


def test_table_example_trains_and_scores_every_row(at):
    train(at, "anomalies_tab")
    assert not at.exception and not at.error
    s = at.session_state["anomalies_tab_scores"][1]
    assert s.shape == (377,)
    assert at.get("download_button")[0].label == "Télécharger le CSV avec les scores"
    flagged = int((s > at.slider(key="anomalies_tab_threshold").value).sum())
    assert any(m.value.startswith(f"**{flagged}** lignes signalées sur 377") for m in at.markdown)
    auc = at.dataframe[-1].value["AUC"]
    assert auc["Autoencodeur"] > 0.7 and auc["Forêt d'isolement"] > 0.7


BAD_CSV = [(b"a;b;a\n" + b"1;2;3\n" * 30, "double"), (b"x,y\n" + b"1,2\n" * 5, "au moins 20"),
           (b"\x00\x01\x02", "texte"), (b"nom,ville\n" + b"Ana,Lyon\n" * 30, "Aucune colonne")]


def test_bad_csv_gets_a_french_message_and_keeps_the_previous_results(at):
    train(at, "anomalies_tab")
    trained = at.session_state["anomalies_tab"]
    at.radio(key="anomalies_source").set_value("upload").run()
    for content, words in BAD_CSV:
        at.file_uploader(key="anomalies_csv").set_value(("mauvais.csv", content, "text/csv")).run()
        assert not at.exception
        assert any(words in e.value for e in at.error), [e.value for e in at.error]
        assert at.session_state["anomalies_tab"] is trained  # nothing changed
        assert at.get("download_button")  # the earlier results are still shown
