"""Sounds as overlapping windows (ae_core.sound_windows): the dataset, window-by-window denoising of a whole
sound, filters tuned on training windows, and the denoiser against them on the synthetic test sounds."""

import dataclasses

import numpy as np
import pytest
import torch

from ae_core import build_trainer
from ae_core.errors import LearnerError
from ae_core.filters import FILTERS
from ae_core.recipes import sound_denoise_spec, voice_denoise_spec
from ae_core.sound import SOUND_RATE, synthetic_sounds
from ae_core.sound_windows import (
    HOP,
    VOICE_TRAIN_SHARE,
    WINDOW,
    denoise_sound,
    denoiser_snr,
    sound_set,
    sound_snr,
    tuned_filters,
    versions,
    voice_set,
)
from tests.conftest import trained


class Identity(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # a device to read

    def forward(self, x):
        return x


def test_a_sound_set_holds_whole_sounds_and_their_windows():
    s = sound_set(4, 2, seconds=0.5)
    assert s.train.shape == (4, SOUND_RATE // 2) and s.test.shape == (2, SOUND_RATE // 2)
    assert s.train.std() == pytest.approx(1.0, rel=1e-4)
    per_sound = 1 + -(-(SOUND_RATE // 2 - WINDOW) // HOP)
    assert s.data.images.shape == (6 * per_sound, 1, 1, WINDOW) and s.data.n_train == 4 * per_sound
    assert s.names == ["note", "voyelle «\u202fa\u202f»"]


def test_a_model_that_changes_nothing_gives_the_sound_back():
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    assert np.allclose(denoise_sound(Identity(), x), x, atol=1e-5)


def test_versions_and_snr_before_any_training():
    s = sound_set(4, 2, seconds=0.5)
    params = tuned_filters(s, "signal_gaussian", 0.5)
    assert set(params) == set(FILTERS)
    heard = versions(None, s, 1, "signal_gaussian", 0.5, params)
    assert list(heard) == ["clean", "noisy", *FILTERS] and all(v.shape == s.test[1].shape for v in heard.values())
    snr = sound_snr(None, s, "signal_gaussian", 0.5, params)
    assert all(snr[f] > snr["noisy"] for f in FILTERS if f != "notch")  # each smoother cleans something
    assert snr["notch"] == pytest.approx(snr["noisy"], abs=0.2)  # the mains notch leaves white noise alone


def test_only_the_mains_notch_removes_a_hum_from_sounds():
    s = sound_set(4, 2, seconds=0.5)
    params = tuned_filters(s, "hum", 0.5)
    snr = sound_snr(None, s, "hum", 0.5, params)
    print("FIGURE sounds with hum 0.5: " + ", ".join(f"{m} {v:.1f} dB" for m, v in snr.items()))
    assert snr["notch"] > snr["noisy"] + 10 and all(snr[f] < snr["noisy"] + 1 for f in FILTERS if f != "notch")


@pytest.mark.slow
def test_a_short_training_on_windows_learns_and_cleans_a_whole_sound():
    s = sound_set(3, 1, seconds=0.5)
    spec = sound_denoise_spec(s.data)
    trainer = build_trainer(dataclasses.replace(spec, train=dataclasses.replace(spec.train, epochs=2)), s.data)
    history = trainer.run()
    assert history.val_loss[-1] < history.val_loss[0]
    heard = versions(trainer.model.eval(), s, 0, "signal_gaussian", 0.5, tuned_filters(s, "signal_gaussian", 0.5))
    assert heard["autoencoder"].shape == heard["clean"].shape and np.isfinite(heard["autoencoder"]).all()


@pytest.mark.slow
def test_the_sound_denoiser_against_the_tuned_filters_at_the_pages_defaults():
    s = sound_set()
    model = trained(sound_denoise_spec(s.data), s.data).model.eval()
    snr = sound_snr(model, s, "signal_gaussian", 0.5, tuned_filters(s, "signal_gaussian", 0.5))
    print("FIGURE sounds at white noise 0.5: " + ", ".join(f"{m} {v:.1f} dB" for m, v in snr.items()))
    assert denoiser_snr(model, s, "signal_gaussian", 0.5) == pytest.approx(snr["autoencoder"])  # the page's row
    lead = snr["autoencoder"] - max(snr[f] for f in FILTERS)
    assert 0 < lead < 3 and max(snr[f] for f in FILTERS) > snr["noisy"]  # « devant, mais de bien moins » (beats: 4 dB)


def test_a_recording_trains_on_its_start_and_is_measured_on_its_end():
    x = np.concatenate(list(synthetic_sounds(5, 1.0, seed=3)))  # 5 s at 8 kHz
    voice = voice_set(x)
    cut = int(VOICE_TRAIN_SHARE * len(x))
    assert voice.train.shape == (1, cut) and voice.test.shape == (1, len(x) - cut)
    assert np.allclose(np.concatenate([voice.train[0], voice.test[0]]) * x[:cut].std(), x, atol=1e-6)
    assert voice.data.n_train == len(voice.data) - (1 + -(-(len(x) - cut - WINDOW) // HOP))
    assert voice.data.name.startswith("voix_") and voice.data.name != voice_set(x[::-1].copy()).data.name
    assert 10 <= voice_denoise_spec(voice.data).train.epochs <= 40


@pytest.mark.parametrize("x, message", [(np.ones(2 * SOUND_RATE), "trop court"),
                                        (np.zeros(4 * SOUND_RATE), "silencieux")])
def test_a_recording_too_short_or_silent_is_refused_in_french(x, message):
    with pytest.raises(LearnerError, match=message):
        voice_set(x)


@pytest.mark.slow
def test_against_mains_hum_on_sounds_the_notch_wins_by_far():
    s = sound_set()
    model = trained(sound_denoise_spec(s.data, "hum", 0.5), s.data).model.eval()
    snr = sound_snr(model, s, "hum", 0.5, tuned_filters(s, "hum", 0.5))
    print("FIGURE sounds with hum 0.5: " + ", ".join(f"{m} {v:.1f} dB" for m, v in snr.items()))
    smoothers = [snr[f] for f in FILTERS if f != "notch"]
    # « les lissages ne font presque rien, l'autoencodeur en retire une bonne part, le coupe-bande loin devant »
    assert max(smoothers) < snr["noisy"] + 1 and snr["autoencoder"] > snr["noisy"] + 5
    assert snr["notch"] > snr["autoencoder"] + 5
