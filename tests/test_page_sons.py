"""App test of the page « Sons »: it renders, trains the sound denoiser live (a short recipe: the quality
tests in tests/test_sound_windows.py hold the full one), takes the learner's voice as a WAV file, refuses
what is not one in French, and reads its address."""

import numpy as np
import pytest

from ae_core.sound import synthetic_sounds, to_wav_bytes
from tests.app_driver import app, click, short_recipes, train_to_end

PAGE = "pages/sons.py"
NOTCH = "Coupe-bande 50\u00a0Hz"


def voice_wav(seconds: int = 6, rate: int = 16_000) -> bytes:
    """A stand-in for a recorded sentence: synthetic vowels one after the other, as a 16 kHz WAV file."""
    x = np.concatenate(list(synthetic_sounds(seconds, 1.0, seed=7)))  # (8000 * seconds,) at 8 kHz
    return to_wav_bytes(np.repeat(x, rate // 8000), rate)


def messages(at) -> list[str]:
    return [m.value for m in [*at.success, *at.error, *at.info, *at.warning]]


def test_page_renders_before_any_training():
    at = app(PAGE)
    assert at.title[0].value == "Sons\u202f: débruiter, compresser, votre voix"
    assert [t.label for t in at.tabs] == ["Débruitage", "Un son en octets", "Votre voix"]
    assert any("Entraîner le débruiteur de sons" == b.label for b in at.button)
    assert any("jamais écrite sur disque" in m for m in messages(at))  # the voice's privacy, said before recording
    assert at.segmented_control(key="sons_noise").value == "signal_gaussian"


def test_the_address_sets_the_noise():
    at = app(PAGE)
    at.query_params.update({"t": "hum", "n": "0.25"})
    at.run()
    assert not at.exception and not at.warning
    assert at.segmented_control(key="sons_noise").value == "hum"
    assert at.select_slider(key="sons_level").value == 0.25


@pytest.mark.parametrize("content, message", [
    (b"RIFF....WAVEfmt not really", "pas un fichier WAV lisible"),
    (to_wav_bytes(np.zeros(16_000), 16_000), "trop court"),
    (to_wav_bytes(np.zeros(48_000), 16_000), "silencieux"),
    (to_wav_bytes(np.zeros(25 * 8000), 8000), "trop long"),
])
def test_a_bad_voice_file_gets_a_french_message_and_no_training(content, message):
    at = app(PAGE)
    at.file_uploader(key="sons_voice_file").upload("voix.wav", content).run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert not any(b.label == "Entraîner sur ma voix" for b in at.button)


@pytest.mark.slow
def test_a_sound_denoiser_trained_on_the_page_is_heard_in_every_version(monkeypatch):
    short_recipes(monkeypatch, "sound_denoise_spec", epochs=2)
    at = app(PAGE)
    click(at, "Entraîner le débruiteur de sons")
    train_to_end(at, "sons_denoise")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "SNR moyen (dB)" in d.value.columns)
    assert list(table.index) == ["Son bruité", "Moyenne glissante", "Savitzky–Golay", "Lisseur de Kalman", NOTCH,
                                 "Autoencodeur débruiteur"]
    assert len(at.get("audio")) == 7  # clean, noisy, four filters, the autoencoder
    at.selectbox(key="sons_pick").set_value(3).run()  # another sound: the players follow
    assert not at.exception and len(at.get("audio")) == 7
    at.segmented_control(key="sons_noise").set_value("hum").run()
    click(at, "Entraîner le débruiteur de sons")
    train_to_end(at, "sons_denoise")
    table = next(d.value for d in at.dataframe if "SNR moyen (dB)" in d.value.columns)
    assert table["SNR moyen (dB)"].idxmax() == NOTCH  # the classical answer to mains hum wins


@pytest.mark.slow
def test_the_learners_voice_is_learned_on_its_start_and_measured_on_its_end(monkeypatch):
    short_recipes(monkeypatch, "voice_denoise_spec", epochs=2)
    at = app(PAGE)
    at.file_uploader(key="sons_voice_file").upload("voix.wav", voice_wav()).run()
    assert not at.exception and not at.error
    click(at, "Entraîner sur ma voix")
    train_to_end(at, "sons_voice")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "SNR moyen (dB)" in d.value.columns and len(d.value) == 6)
    assert np.isfinite(table["SNR moyen (dB)"]).all()
    assert any("Sur votre voix, l'autoencodeur" in m for m in messages(at))  # who wins, said either way
    assert any("fin de votre enregistrement (1,8\u00a0s)" in c.value for c in at.caption)  # 30 % of 6 s
    assert len(at.get("audio")) == 4  # clean, noisy, the best filter, the autoencoder


@pytest.mark.slow
def test_a_sound_in_bytes_against_pca_and_the_codecs_to_hear_at_a_budget(monkeypatch):
    short_recipes(monkeypatch, "sound_code_spec", epochs=1)
    at = app(PAGE)
    click(at, "Entraîner l'autoencodeur compresseur")
    train_to_end(at, "sons_code")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "octets par seconde" in d.value.columns)
    assert list(table.index) == ["Autoencodeur", "ACP à son meilleur", "Opus", "MP3", "Loi µ (téléphone)"]
    assert table.loc["Autoencodeur", "octets par seconde"] == "2\u202f048"  # 32 windows of 128 numbers on 4 bits
    assert table.loc["Loi µ (téléphone)", "octets par seconde"] == "8\u202f000"
    assert len(at.get("audio")) == 6  # the sound, the autoencoder, PCA, Opus, MP3, µ-law
    at.select_slider(key="sons_bits").set_value(2).run()  # 1,024 bytes a second: below both codecs' floor
    assert not at.exception
    table = next(d.value for d in at.dataframe if "octets par seconde" in d.value.columns)
    assert table.loc["Opus", "réglage"] == "hors de portée" and len(at.get("audio")) == 4
    assert any("ne descendent pas à ce budget" in c.value for c in at.caption)
