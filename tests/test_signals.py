"""ae_core.signals and ae_core.filters: synthetic heartbeats, noises, SNR and classical smoothers."""

import math

import numpy as np
import pytest

from ae_core.errors import LearnerError
from ae_core.filters import (
    FILTERS,
    KALMAN_INITIAL_VARIANCE,
    apply_filter,
    kalman_smooth,
    mains_notch,
    moving_average,
    savitzky_golay,
    tune_filter,
)
from ae_core.signals import BEAT_SAMPLES, ECG_CLASSES, ECG_RATE, NOISES, R_INDEX, add_noise, ecg_beats, snr_db

P_INDEX = R_INDEX - ECG_RATE // 6  # P sits at −π/3, a sixth of a beat before R (at 60 bpm)
T_INDEX = R_INDEX + ECG_RATE // 4  # T sits at π/2, a quarter of a beat after R
PR_INDEX = R_INDEX - 14  # between the end of P and Q: the isoelectric line


@pytest.fixture(scope="module")
def beats():
    return ecg_beats(2000, seed=0, abnormal=0.5)


# --- beats ----------------------------------------------------------------------------------------

def test_beats_shapes_dtypes_and_seeds():
    x, y = ecg_beats(50, seed=3)
    assert x.shape == (50, BEAT_SAMPLES) and x.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    x2, y2 = ecg_beats(50, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.allclose(x, ecg_beats(50, seed=4)[0])
    assert len(ECG_CLASSES) == 5 and ECG_CLASSES[0] == "Normal"


@pytest.mark.parametrize("abnormal", [0.0, 0.1, 0.5, 1.0])
def test_label_shares(abnormal):
    _, y = ecg_beats(1000, seed=1, abnormal=abnormal)
    counts = np.bincount(y, minlength=5)
    assert counts[0] == round(1000 * (1 - abnormal))
    assert np.all(np.abs(counts[1:] - 250 * abnormal) <= 1)  # spread evenly over classes 1 to 4


def test_every_class_appears_and_labels_are_shuffled():
    _, y = ecg_beats(1000, seed=0, abnormal=0.5)
    assert set(np.unique(y)) == set(range(5))
    assert not np.all(y[:500] > 0)  # not all abnormal beats first


def test_r_peak_sits_on_its_sample(beats):
    x, y = beats
    assert np.all(np.abs(x[y == 0].argmax(axis=1) - R_INDEX) <= 2)
    assert 0.7 < float(np.median(x[y == 0, R_INDEX])) < 1.3  # about 1 mV


def _bump(x: np.ndarray, index: int, half: int = 15) -> np.ndarray:
    """Height at `index` above the straight line through index ± half: a wave, not the baseline wander."""
    return x[:, index] - (x[:, index - half] + x[:, index + half]) / 2


def test_p_wave_is_absent_in_class_4(beats):
    x, y = beats
    normal, no_p = _bump(x[y == 0], P_INDEX), _bump(x[y == 4], P_INDEX)
    assert np.mean(normal > 0.1) > 0.95
    assert np.all(np.abs(no_p) < 0.05)


def test_t_wave_is_inverted_in_class_2(beats):
    x, y = beats
    t_height = x[:, T_INDEX] - x[:, PR_INDEX]
    assert np.mean(t_height[y == 0] > 0.1) > 0.95
    assert np.mean(t_height[y == 2] < -0.1) > 0.95


def test_st_segment_is_raised_in_class_3(beats):
    x, y = beats
    st = x[:, R_INDEX + 20] - x[:, PR_INDEX]  # 100 ms after R
    assert np.median(st[y == 3]) - np.median(st[y == 0]) > 0.12


def test_ventricular_beat_has_a_wide_qrs_and_a_discordant_t(beats):
    x, y = beats
    width = (x - x[:, PR_INDEX:PR_INDEX + 1] > 0.5).sum(axis=1)  # samples above half the R height
    assert np.median(width[y == 1]) >= 2 * np.median(width[y == 0])
    assert np.mean(x[y == 1, T_INDEX] - x[y == 1, PR_INDEX] < -0.2) > 0.95


@pytest.mark.parametrize("n, abnormal", [(0, 0.1), (50_001, 0.1), (2.5, 0.1), (10, 1.5), (10, -0.1)])
def test_ecg_beats_rejects_bad_arguments(n, abnormal):
    with pytest.raises(LearnerError, match="doit être"):
        ecg_beats(n, abnormal=abnormal)


def test_5000_beats_generate():
    x, _ = ecg_beats(5000, seed=7)  # meant to take well under a second; not timed here
    assert x.shape == (5000, BEAT_SAMPLES) and np.isfinite(x).all()


# --- noises ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(NOISES))
def test_add_noise_does_not_mutate_and_keeps_shape(kind, beats):
    x = beats[0][:20].copy()
    before = x.copy()
    noisy = add_noise(x, kind, 0.5, ECG_RATE, seed=1)
    assert np.array_equal(x, before)
    assert noisy.shape == x.shape and noisy.dtype == x.dtype and not np.array_equal(noisy, x)
    assert np.array_equal(noisy, add_noise(x, kind, 0.5, ECG_RATE, seed=1))
    assert add_noise(x[0], kind, 0.5, ECG_RATE).shape == (BEAT_SAMPLES,)


def test_gaussian_noise_snr_matches_its_level(beats):
    x = beats[0]
    noisy = add_noise(x, "gaussian", 0.5, ECG_RATE, seed=2)
    centre = float(x.mean())  # the noise is scaled on the std: measure it against the signal's variation
    assert abs(snr_db(x - centre, noisy - centre) - 20 * math.log10(1 / 0.5)) < 0.5
    # Against the raw beats the mean counts as signal: SNR = 10 log10(mean(x²) / (level² var(x))).
    expected = 10 * math.log10(float(np.mean(x.astype(np.float64) ** 2)) / (0.25 * float(x.var())))
    assert abs(snr_db(x, noisy) - expected) < 0.1


def test_hum_is_at_50_hz(beats):
    x = beats[0][:200]
    hum = add_noise(x, "hum", 1.0, ECG_RATE, seed=0) - x
    spectrum = np.abs(np.fft.rfft(hum, axis=-1)).mean(axis=0)
    frequencies = np.fft.rfftfreq(BEAT_SAMPLES, 1 / ECG_RATE)
    assert frequencies[spectrum.argmax()] == pytest.approx(50.0)
    assert abs(hum.std() - x.std() / math.sqrt(2)) < 0.05 * x.std()  # a sine of amplitude level × std


def test_hum_has_its_third_harmonic_below_nyquist():
    x = np.random.default_rng(0).standard_normal((4, 1000))
    hum = add_noise(x, "hum", 1.0, 1000, seed=0) - x  # 1 s at 1 kHz: one bin per Hz
    spectrum = np.abs(np.fft.rfft(hum, axis=-1)).mean(axis=0)
    assert spectrum.argmax() == 50
    assert spectrum[150] / spectrum[50] == pytest.approx(1 / 3, rel=1e-6)
    assert spectrum[[49, 51, 100, 149, 151]].max() < 1e-6 * spectrum[50]


def test_clicks_touch_about_one_percent_of_samples(beats):
    x = beats[0][:1000]
    noisy = add_noise(x, "clicks", 0.4, ECG_RATE, seed=0)
    hit = noisy != x
    assert abs(hit.mean() - 0.01) < 0.002
    assert np.allclose(np.abs(noisy - x)[hit], 0.4 * 5 * x.std(), rtol=1e-5)


def test_add_noise_rejects_bad_arguments(beats):
    x = beats[0][:5]
    with pytest.raises(LearnerError, match="Bruit inconnu"):
        add_noise(x, "pink", 0.5, ECG_RATE)
    with pytest.raises(LearnerError, match="positif ou nul"):
        add_noise(x, "gaussian", -0.1, ECG_RATE)


def test_snr_db_by_hand():
    clean = np.array([[1.0, 2.0], [2.0, 0.0]])  # Σ clean² = 9
    estimate = np.array([[1.0, 2.0], [1.0, 0.0]])  # Σ error² = 1
    assert snr_db(clean, estimate) == pytest.approx(10 * math.log10(9))
    assert snr_db(clean, clean) == float("inf")


# --- filters --------------------------------------------------------------------------------------

def textbook_rts(y: np.ndarray, order: int, ratio: float) -> np.ndarray:
    """One signal, the textbook equations with matrices and inverses: Kalman filter, then RTS smoother."""
    F = np.array([[1.0]]) if order == 1 else np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.eye(1, order)
    Q = np.zeros((order, order))
    Q[-1, -1] = ratio
    R = np.array([[1.0]])
    m = np.zeros((order, 1))
    m[0, 0] = y[0]
    P = KALMAN_INITIAL_VARIANCE * np.eye(order)
    means, covs, pred_means, pred_covs = [], [], [], []
    for k, yk in enumerate(y):
        if k > 0:
            m = F @ m
            P = F @ P @ F.T + Q
        pred_means.append(m)
        pred_covs.append(P)
        K = P @ H.T @ np.linalg.inv(H @ P @ H.T + R)
        m = m + K @ (np.array([[yk]]) - H @ m)
        P = (np.eye(order) - K @ H) @ P
        means.append(m)
        covs.append(P)
    out = [0.0] * len(y)
    out[-1] = float(m[0, 0])
    for k in range(len(y) - 2, -1, -1):
        G = covs[k] @ F.T @ np.linalg.inv(pred_covs[k + 1])
        m = means[k] + G @ (m - pred_means[k + 1])
        out[k] = float(m[0, 0])
    return np.array(out)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("ratio", [0.01, 1.0])
def test_kalman_smooth_matches_the_textbook_loop(order, ratio):
    x = np.random.default_rng(order).standard_normal((3, 10)).cumsum(axis=1)
    expected = np.stack([textbook_rts(row, order, ratio) for row in x])
    assert np.allclose(kalman_smooth(x, order, ratio), expected, atol=1e-6, rtol=0)
    assert np.allclose(kalman_smooth(x[1], order, ratio), expected[1], atol=1e-6, rtol=0)


def test_kalman_smooth_limits():
    x = np.random.default_rng(0).standard_normal((3, 40))
    before = x.copy()
    assert np.allclose(kalman_smooth(x, 1, 1e8), x, atol=1e-6)
    assert np.allclose(kalman_smooth(x, 2, 1e8), x, atol=1e-4)
    flat = kalman_smooth(x, 1, 1e-10)
    assert np.allclose(flat, x.mean(axis=1, keepdims=True), atol=1e-4)
    assert np.array_equal(x, before)


def test_moving_average_is_a_centred_convolution():
    x = np.random.default_rng(0).standard_normal((3, 50))
    out = moving_average(x, 7)
    assert out.shape == x.shape
    for row, smooth in zip(x, out):
        assert np.allclose(smooth[3:-3], np.convolve(row, np.ones(7) / 7, mode="valid"))
    assert np.allclose(out[:, 0], (x[:, 0] + 2 * x[:, 1:4].sum(axis=1)) / 7)  # edge: reflected samples
    assert np.allclose(moving_average(x, 1), x)


def test_savitzky_golay_keeps_polynomials_of_its_order():
    t = np.linspace(-1, 1, 60)
    cubic = np.stack([t**3 - t, 2 * t**3 + t**2])
    assert np.allclose(savitzky_golay(cubic, 11, 3), cubic, atol=1e-10)
    assert not np.allclose(savitzky_golay(cubic, 11, 1), cubic, atol=1e-3)


@pytest.mark.parametrize("name, params", [("moving_average", {"window": 5}),
                                          ("savitzky_golay", {"window": 7, "order": 2}),
                                          ("kalman", {"order": 2, "ratio": 0.1}),
                                          ("notch", {"quality": 5})])
def test_filters_are_pure_and_keep_shape_and_dtype(name, params, beats):
    x = beats[0][:10].copy()
    before = x.copy()
    out = apply_filter(name, x, params, ECG_RATE)
    assert out.shape == x.shape and out.dtype == np.float32 and np.array_equal(x, before)
    assert np.allclose(apply_filter(name, x[3], params, ECG_RATE), out[3], atol=1e-6)


def test_the_mains_notch_removes_50_hz_and_150_hz_and_keeps_other_frequencies():
    t = np.arange(4000) / 1000  # 4 s at 1 kHz
    keep = np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 300 * t)
    hum = np.sin(2 * np.pi * 50 * t + 1) + np.sin(2 * np.pi * 150 * t) / 3
    out = mains_notch(keep + hum, 10, 1000)
    inner = slice(500, -500)  # a narrow notch rings for a while at the edges
    assert snr_db(keep[inner], out[inner]) > 40 and snr_db(keep, out) > 20 and snr_db(keep, keep + hum) < 5
    with pytest.raises(LearnerError, match="au-dessus de 100"):
        mains_notch(keep, 10, 100)
    with pytest.raises(LearnerError, match="qualité"):
        mains_notch(keep, 0, 1000)


@pytest.mark.parametrize("call, match", [
    (lambda x: moving_average(x, 4), "impair"),
    (lambda x: savitzky_golay(x, 8, 2), "impair"),
    (lambda x: savitzky_golay(x, 5, 5), "degré"),
    (lambda x: moving_average(x, 41), "dépasse"),
    (lambda x: kalman_smooth(x, 3, 0.1), "ordre"),
    (lambda x: kalman_smooth(x, 1, -1.0), "strictement positif"),
    (lambda x: apply_filter("median", x, {}), "Filtre inconnu"),
])
def test_filters_reject_bad_arguments(call, match):
    with pytest.raises(LearnerError, match=match):
        call(np.zeros((2, 40)))


def test_tuned_filters_improve_unseen_beats():
    train, _ = ecg_beats(300, seed=10)
    test, _ = ecg_beats(300, seed=11)
    noisy_train = add_noise(train, "gaussian", 0.5, ECG_RATE, seed=12)
    noisy_test = add_noise(test, "gaussian", 0.5, ECG_RATE, seed=13)
    before = snr_db(test, noisy_test)
    for name in set(FILTERS) - {"notch"}:  # a smoother; the notch is for mains hum (test above)
        params, train_snr = tune_filter(name, train, noisy_train, ECG_RATE)
        test_snr = snr_db(test, apply_filter(name, noisy_test, params, ECG_RATE))
        print(f"FIGURE signals: {name} {params} train {train_snr:.2f} dB test {test_snr:.2f} dB "
              f"(noisy input {before:.2f} dB)")
        assert test_snr > before + 3, name
