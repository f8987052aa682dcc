"""App test of the page « Détection d'anomalies »: training, threshold, presets, the learner's files."""

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from ae_core import load_dataset
from ae_core.anomaly import confusion_at, threshold_mean_std
from ae_core.baselines import pca_code_size
from ae_core.rows import one_class_rows
from tests.app_driver import memo, start_and_train

PAGE = "pages/anomalies.py"


def metrics(at) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(float(m.value.replace(",", ".").rstrip("%").replace("\u202f", "")))
    return out


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


@pytest.mark.parametrize("normal", [[], list(range(10))])
def test_no_normal_class_or_every_class_is_refused_before_any_training(at, normal):
    at.multiselect(key="anomalies_normal").set_value(normal).run()
    assert not at.exception
    assert any("classe normale" in w.value or "classes normales" in w.value for w in at.warning)
    assert "anomalies_train_start" not in {b.key for b in at.button}  # nothing to start
    assert "anomalies_tab_start" in {b.key for b in at.button}  # the CSV part still works


def test_images_training_then_threshold_and_presets(at):
    start_and_train(at, "anomalies_train")
    assert not at.exception and not at.error
    ref_s, test_s = memo(at, "anomalies_scores")
    spec = at.session_state["anomalies_train"].trainer.spec
    split = one_class_rows(load_dataset("digits"), spec.rows)
    y = split.test_is_anomaly.numpy()
    assert len(ref_s) == len(split.reference_idx)  # held-out normal images set the threshold
    slider = at.select_slider(key="anomalies_threshold")
    assert slider.value == pytest.approx(np.percentile(ref_s, 95), rel=1e-4)  # default preset
    before = metrics(at)
    assert before["Rappel"][0] == pytest.approx(confusion_at(test_s, y, slider.value).recall, abs=1e-3)
    assert before["Rappel"][0] > 0.5  # digits: one digit against the nine others is easy
    assert before["Fausses alertes"][0] == pytest.approx(100 * confusion_at(test_s, y, slider.value).fpr, abs=0.1)

    steps = np.linspace(0.0, max(test_s.max(), ref_s.max()), 201)  # the slider's steps (ui/anomaly.py)
    higher = float(steps[steps >= np.percentile(test_s, 99)][0])
    slider.set_value(higher).run()
    after = metrics(at)
    assert after["Rappel"][0] < before["Rappel"][0]  # a higher threshold flags fewer anomalies
    assert after["Précision"][0] == pytest.approx(
        confusion_at(test_s, y, at.select_slider(key="anomalies_threshold").value).precision, abs=1e-3)

    at.button(key="anomalies_threshold_3sigma").click().run()
    assert at.select_slider(key="anomalies_threshold").value == pytest.approx(threshold_mean_std(ref_s), rel=1e-4)
    table = at.dataframe[1].value  # AUC of the autoencoder and the baselines
    digits = load_dataset("digits")
    k_pca = pca_code_size(digits.images[split.train_idx], digits.images[split.reference_idx])
    assert list(table.index) == ["Autoencodeur", "ACP à 8 composantes (même code)",
                                 f"ACP à {k_pca} composantes (choisies sur la validation)", "Forêt d'isolement"]
    assert (table["AUC"] > 0.7).all()
    shown = table["AUC"].round(3)  # the page says who wins at the table's precision, or that it is a tie
    top = list(shown[shown == shown.max()].index)
    verdict = [m.value for m in (*at.success, *at.info) if "gagne" in m.value or "jeu égal" in m.value]
    assert len(verdict) == 1
    if len(top) > 1:
        assert "jeu égal" in verdict[0]
    else:
        assert (top == ["Autoencodeur"]) == verdict[0].startswith("L'autoencodeur gagne")


def test_uploaded_image_is_scored_and_bad_image_explained(at):
    start_and_train(at, "anomalies_train")
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
    start_and_train(at, "anomalies_tab")
    assert not at.exception and not at.error
    s = memo(at, "anomalies_tab_scores")[0]
    assert s.shape == (377,)
    assert at.get("download_button")[0].label == "Télécharger le CSV avec les scores"
    flagged = int((s > at.select_slider(key="anomalies_tab_threshold").value).sum())
    assert any(m.value.startswith(f"**{flagged}** lignes signalées sur 377") for m in at.markdown)
    auc = at.dataframe[-1].value["AUC"]
    assert auc["Autoencodeur"] > 0.7 and auc["Forêt d'isolement"] > 0.7


BAD_CSV = [(b"a;b;a\n" + b"1;2;3\n" * 30, "double"), (b"x,y\n" + b"1,2\n" * 5, "au moins 20"),
           (b"\x00\x01\x02", "texte"), (b"nom,ville\n" + b"Ana,Lyon\n" * 30, "Aucune colonne")]


def test_bad_csv_gets_a_french_message_and_keeps_the_previous_results(at):
    start_and_train(at, "anomalies_tab")
    trained = at.session_state["anomalies_tab"]
    at.radio(key="anomalies_source").set_value("upload").run()
    for content, words in BAD_CSV:
        at.file_uploader(key="anomalies_csv").set_value(("mauvais.csv", content, "text/csv")).run()
        assert not at.exception
        assert any(words in e.value for e in at.error), [e.value for e in at.error]
        assert at.session_state["anomalies_tab"] is trained  # nothing changed
        assert at.get("download_button")  # the earlier results are still shown


def test_a_new_table_trains_on_itself_not_on_the_previous_one(at):
    start_and_train(at, "anomalies_tab")  # the built-in example
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{a + b:.3f}" for a, b in rng.normal(size=(60, 2)))
    at.radio(key="anomalies_source").set_value("upload").run()
    at.file_uploader(key="anomalies_csv").set_value(("mesures.csv", f"x,y,somme\n{rows}".encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert not at.get("download_button")  # the example's results are not shown under the new file's name
    start_and_train(at, "anomalies_tab")
    job = at.session_state["anomalies_tab"]
    assert job.trainer.images.shape == (60, 1, 1, 3)  # the new table, not the example's 377 rows
    assert any(h.value == "Scores de « mesures.csv »" for h in at.header)
    assert memo(at, "anomalies_tab_scores")[0].shape == (60,)


def test_a_file_is_read_once_however_many_reruns(at, monkeypatch):
    """A table is parsed once per file (its digest): reruns, a label or a threshold change reuse it."""
    import ui.upload

    calls, parse = [], ui.upload.parse_csv
    monkeypatch.setattr(ui.upload, "parse_csv", lambda content: calls.append(1) or parse(content))
    rows = "\n".join(f"{i % 7},{i % 5},{'a' if i % 9 else 'b'}" for i in range(40))
    content = f"x,y,classe\n{rows}\n".encode()
    at.radio(key="anomalies_source").set_value("upload").run()
    at.file_uploader(key="anomalies_csv").set_value(("t.csv", content, "text/csv")).run()
    at.run()
    at.selectbox(key="anomalies_label_t.csv").set_value("classe").run()
    assert not at.exception and not at.error
    assert len(calls) == 1
    at.file_uploader(key="anomalies_csv").set_value(("t.csv", content + b"1,2,a\n", "text/csv")).run()
    assert len(calls) == 2  # another file is read again
