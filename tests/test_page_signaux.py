"""App test of the page « Signaux : battements de cœur »: it renders, trains the denoiser and the one-class model live
(short recipes: the quality tests in tests/test_beats.py hold the full ones) and reads its address."""

import numpy as np
import pytest

from ae_core.signals import ecg_beats
from tests.app_driver import app, click, short_recipes, train_to_end

PAGE = "pages/signaux.py"


def test_page_renders_before_any_training():
    at = app(PAGE)
    assert at.title[0].value == "Signaux : battements de cœur"
    assert [t.label for t in at.tabs] == ["Débruitage", "Battements anormaux"]
    assert any("battements de cœur simulés" in c.value for c in at.caption)
    labels = {b.label for b in at.button}
    assert {"Entraîner l'autoencodeur débruiteur", "Entraîner sur les battements normaux"} <= labels
    assert at.segmented_control(key="signaux_noise").value == "signal_gaussian"


def test_the_address_sets_noise_level_contamination_and_recording_noise():
    at = app(PAGE)
    at.query_params.update({"t": "clicks", "n": "0.25", "c": "0.05", "b": "0.4"})
    at.run()
    assert not at.exception and not at.warning
    assert at.segmented_control(key="signaux_noise").value == "clicks"
    assert at.select_slider(key="signaux_level").value == 0.25
    assert at.segmented_control(key="signaux_contamination").value == 0.05
    assert at.segmented_control(key="signaux_recording").value == 0.4


@pytest.mark.slow
def test_a_denoiser_then_a_one_class_model_trained_on_the_page(monkeypatch):
    short_recipes(monkeypatch, "signal_denoise_spec", "beat_anomaly_spec", epochs=2)
    at = app(PAGE)
    click(at, "Entraîner l'autoencodeur débruiteur")
    train_to_end(at, "signaux_denoise")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "SNR (dB)" in d.value.columns)
    assert list(table.index) == ["Battement bruité", "Moyenne glissante", "Savitzky–Golay", "Lisseur de Kalman",
                                 "Coupe-bande 50 Hz", "Autoencodeur débruiteur"]
    assert table["SNR (dB)"].iloc[1:].gt(table["SNR (dB)"].iloc[0]).all()  # every method cleans something
    assert table.loc["Coupe-bande 50 Hz", "réglage choisi sur l'entraînement"].startswith("qualité ")
    assert any("meilleur des filtres réglés" in m.value for m in [*at.success, *at.error, *at.info, *at.warning])
    click(at, "Entraîner sur les battements normaux")
    train_to_end(at, "signaux_anomaly")
    assert not at.exception
    per_class = next(d.value for d in at.dataframe if "Onde T inversée" in d.value.index)
    assert len(per_class) == 4 and per_class["AUC"].between(0, 1).all()
    assert any("AUC" in m.value and "ACP à 8 composantes" in m.value
               for m in [*at.success, *at.error, *at.info, *at.warning])


def write_ecg5000(folder) -> None:
    """Files in ECG5000's format (a class from 1, then 140 values, written "%16.7e"), 500 and 4,500 beats:
    simulated beats stand in for the archive, which this machine cannot download."""
    folder.mkdir()
    for name, n, seed in (("ECG5000_TRAIN.txt", 500, 0), ("ECG5000_TEST.txt", 4500, 1)):
        x, labels = ecg_beats(n, seed, abnormal=0.4)
        rows = np.column_stack([labels + 1, x])
        (folder / name).write_text("\n".join("".join(f"{v:16.7e}" for v in row) for row in rows) + "\n")


def test_without_network_ecg5000_says_why_in_french_and_keeps_the_simulated_beats(monkeypatch, tmp_path):
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # a refusing proxy: no network
    at = app(PAGE)
    at.segmented_control(key="signaux_source").set_value("ecg5000").run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "ECG5000" in warning and "battements simulés" in warning and str(tmp_path) in warning
    assert at.segmented_control(key="signaux_recording").value == 0.2  # the simulated beats' control stays


@pytest.mark.slow
def test_a_one_class_model_trained_on_ecg5000_files_in_the_data_folder(monkeypatch, tmp_path):
    write_ecg5000(tmp_path / "ECG5000")
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    short_recipes(monkeypatch, "beat_anomaly_spec", epochs=2)
    at = app(PAGE, signaux_source="ecg5000")
    assert not at.exception and not at.warning
    assert any("ECG5000\u202f: 500 battements d'entraînement" in c.value for c in at.caption)
    click(at, "Entraîner sur les battements normaux")
    train_to_end(at, "signaux_anomaly")
    assert not at.exception
    per_class = next(d.value for d in at.dataframe if "Extrasystole ventriculaire" in d.value.index)
    assert len(per_class) == 4 and per_class["AUC"].between(0, 1).all()
