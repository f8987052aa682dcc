"""App test of the page « Signaux : battements de cœur »: it renders, trains the denoiser and the one-class model live
(short recipes: the quality tests in tests/test_beats.py hold the full ones) and reads its address."""

import pytest

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
