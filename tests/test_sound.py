"""Sounds: synthetic notes and vowels, windows, the learner's WAV (bounded, French errors), µ-law and codecs."""

import io
import struct
import time
import tracemalloc
import wave

import numpy as np
import pytest
import soundfile as sf

from ae_core.errors import LearnerError
from ae_core.readers import ReaderError
from ae_core.sound import (
    MAX_WAV_BYTES,
    MU,
    SOUND_KINDS,
    SOUND_RATE,
    codec_roundtrip,
    frame,
    match_bytes,
    mu_law,
    overlap_add,
    peak_normalise,
    read_wav,
    synthetic_sounds,
    to_wav_bytes,
)
from tests.conftest import assert_french_error


def snr_db(x: np.ndarray, y: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum((x - y).astype(np.float64) ** 2)))


def wav_bytes(frames: np.ndarray, rate: int, width: int = 2) -> bytes:
    """A PCM WAV written by the standard library: frames (T, channels) of ints, `width` bytes a sample."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(frames.shape[1] if frames.ndim == 2 else 1)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames.astype({1: np.uint8, 2: "<i2"}[width]).tobytes())
    return buf.getvalue()


def sine(freq: float, seconds: float, rate: int, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(round(seconds * rate)) / rate)


def peak_hz(x: np.ndarray, rate: int) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x))) * rate / len(x))


# --- synthetic sounds ------------------------------------------------------------------------------

def test_synthetic_sounds_shape_peak_and_determinism():
    x = synthetic_sounds(9, seconds=0.5, seed=3)
    assert x.shape == (9, 4000) and x.dtype == np.float32
    np.testing.assert_allclose(np.abs(x).max(1), 0.5, rtol=1e-6)
    np.testing.assert_array_equal(x, synthetic_sounds(9, seconds=0.5, seed=3))
    assert not np.allclose(x, synthetic_sounds(9, seconds=0.5, seed=4))
    assert np.abs(x[:, :10]).max() < 0.5  # an attack, not a click


def test_synthetic_notes_and_vowels_sound_like_them():
    x = synthetic_sounds(40, seconds=1.0, seed=0)
    spectra = np.abs(np.fft.rfft(x, axis=1)) ** 2  # (40, 4001), 1 Hz a bin
    for i in range(0, 40, len(SOUND_KINDS)):  # notes: harmonic amplitudes decay, so the strongest is f0
        assert 105 < np.argmax(spectra[i]) < 460
    high = spectra[:, 1900:3200].sum(1) / spectra.sum(1)  # around F2 and F3 of « i »
    kind = np.arange(40) % len(SOUND_KINDS)
    assert high[kind == SOUND_KINDS.index("i")].mean() > 5 * high[kind == SOUND_KINDS.index("ou")].mean()
    notes = x[kind == 0]
    assert (np.abs(notes[:, -800:]).max(1) < np.abs(notes[:, :4000]).max(1)).all()  # notes decay


def test_two_hundred_synthetic_seconds_take_well_under_a_second():
    best = min(_timed(lambda: synthetic_sounds(200, seconds=1.0)) for _ in range(2))
    assert best < 1.0, best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- windows -----------------------------------------------------------------------------------------

def test_frame_cuts_windows_and_pads_the_end_with_zeros():
    np.testing.assert_array_equal(frame(np.arange(10), 4, 3), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    np.testing.assert_array_equal(frame(np.arange(11), 4, 3)[-1], [9, 10, 0, 0])
    np.testing.assert_array_equal(frame(np.arange(3), 4, 2), [[0, 1, 2, 0]])


@pytest.mark.parametrize("length,size,hop", [(8000, 128, 64), (1001, 128, 64), (1001, 128, 32), (500, 128, 128)])
def test_overlap_add_inverts_frame(length, size, hop):
    x = synthetic_sounds(1, seconds=length / SOUND_RATE, seed=1)[0]
    before = x.copy()
    windows = frame(x, size, hop)
    np.testing.assert_allclose(overlap_add(windows, hop, len(x)), x, atol=1e-5)
    np.testing.assert_array_equal(x, before)


def test_overlap_add_crossfades_changed_windows_with_a_hann():
    windows = np.zeros((9, 128), np.float32)
    windows[4] = 1.0  # one window changed: in the interior it comes out as the Hann crossfade itself
    out = overlap_add(windows, 64, 640)
    np.testing.assert_allclose(out[256:384], np.sin(np.pi * (np.arange(128) + 0.5) / 128) ** 2, atol=1e-6)
    assert out[:256].max() == 0 and out[384:].max() == 0
    np.testing.assert_allclose(overlap_add(np.ones((9, 128)), 64, 640), 1.0, atol=1e-6)  # weights sum to 1


# --- the learner's WAV -------------------------------------------------------------------------------

def test_read_wav_16_bit_mono():
    x = np.round(sine(440, 1.0, SOUND_RATE) * 32767)
    out = read_wav(wav_bytes(x, SOUND_RATE))
    assert out.dtype == np.float32 and out.shape == (SOUND_RATE,)
    np.testing.assert_allclose(out, x / 32768, atol=1e-6)


def test_read_wav_8_bit_unsigned():
    x = np.round(sine(440, 0.5, SOUND_RATE) * 127)
    out = read_wav(wav_bytes(x + 128, SOUND_RATE, width=1))
    np.testing.assert_allclose(out, x / 128, atol=1e-6)


def test_read_wav_averages_channels_to_mono():
    x = np.round(sine(440, 0.5, SOUND_RATE) * 32767)
    out = read_wav(wav_bytes(np.stack([x, np.zeros_like(x)], 1), SOUND_RATE))
    np.testing.assert_allclose(out, x / 65536, atol=1e-6)


def test_read_wav_resamples_96_khz_to_8_khz_keeping_the_frequency():
    out = read_wav(wav_bytes(np.round(sine(1000, 1.0, 96_000) * 32767), 96_000))
    assert out.shape == (SOUND_RATE,)
    assert peak_hz(out, SOUND_RATE) == 1000
    assert abs(np.abs(out[500:-500]).max() - 0.5) < 0.01


def test_read_wav_a_float_file_louder_than_full_scale_is_scaled_down():
    buf = io.BytesIO()
    sf.write(buf, sine(440, 0.5, SOUND_RATE, amp=4.0).astype(np.float32), SOUND_RATE, format="WAV", subtype="FLOAT")
    out = read_wav(buf.getvalue())
    assert abs(np.abs(out).max() - 1) < 1e-3


def test_read_wav_a_header_claiming_two_hours_is_bounded():
    data = bytearray(wav_bytes(np.round(sine(440, 1.0, SOUND_RATE) * 32767), SOUND_RATE))
    assert data[36:40] == b"data"
    claimed = 2 * 3600 * SOUND_RATE * 2  # bytes of two hours of 16-bit mono
    data[4:8], data[40:44] = struct.pack("<I", claimed + 36), struct.pack("<I", claimed)
    tracemalloc.start()
    try:
        out = read_wav(bytes(data), max_seconds=20)
    except ReaderError as exc:
        out, message = None, str(exc)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    bound = 20 * SOUND_RATE * 4  # float32 samples of max_seconds
    assert peak < 4 * bound, peak
    if out is None:
        assert "fichier" in message.lower() or "secondes" in message.lower(), message
    else:  # libsndfile 1.2 trusts the file's length over the header's: the one real second
        assert len(out) == SOUND_RATE


def test_read_wav_is_bounded_by_the_header_before_decoding():
    data = wav_bytes(np.zeros(30 * SOUND_RATE), SOUND_RATE)
    with pytest.raises(ReaderError) as exc:
        read_wav(data, max_seconds=20)
    assert_french_error(exc, "secondes", "30,0")
    assert len(read_wav(data, max_seconds=30)) == 30 * SOUND_RATE


def _float_wav_with_nan() -> bytes:
    x = sine(440, 0.1, SOUND_RATE).astype(np.float32)
    x[100] = np.nan
    buf = io.BytesIO()
    sf.write(buf, x, SOUND_RATE, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def _flac() -> bytes:
    buf = io.BytesIO()
    sf.write(buf, sine(440, 0.1, SOUND_RATE), SOUND_RATE, format="FLAC")
    return buf.getvalue()


@pytest.mark.parametrize("make,words", [
    (lambda: wav_bytes(np.zeros(0), SOUND_RATE), ("fichier", "aucun son")),
    (_float_wav_with_nan, ("fichier", "nan")),
    (lambda: b"ceci n'est pas un son" * 100, ("fichier", "wav")),
    (lambda: b"", ("fichier", "wav")),
    (lambda: b"RIFF" + bytes(6 * 1024 * 1024), ("fichier", "mo")),
    (_flac, ("format flac", "wav")),
    (lambda: wav_bytes(np.zeros((10, 9)), SOUND_RATE), ("canaux", "8")),
    (lambda: wav_bytes(np.zeros(4000), 4000), ("fréquence", "8\u00a0000")),
    (lambda: wav_bytes(np.zeros(1000), 200_000), ("fréquence", "192\u00a0000")),
], ids=["no-samples", "nan", "garbage", "empty", "6-MB", "flac", "9-channels", "4-kHz", "200-kHz"])
def test_read_wav_refuses_in_french(make, words):
    data = make()
    with pytest.raises(ReaderError) as exc:
        read_wav(data)
    assert_french_error(exc, *words)
    assert issubclass(ReaderError, LearnerError) and 6 * 1024 * 1024 > MAX_WAV_BYTES


def test_peak_normalise_and_wav_bytes():
    x = sine(440, 0.5, SOUND_RATE, amp=0.1).astype(np.float32)
    before = x.copy()
    assert abs(np.abs(peak_normalise(x)).max() - 0.5) < 1e-6
    assert np.abs(peak_normalise(x, peak=3.0)).max() == 1.0  # clipped, never beyond full scale
    np.testing.assert_array_equal(peak_normalise(np.zeros(10)), 0)
    np.testing.assert_array_equal(x, before)
    data = to_wav_bytes(np.r_[x, 2.0, -2.0, np.nan], SOUND_RATE)
    assert sf.info(io.BytesIO(data)).subtype == "PCM_16"
    out = read_wav(data)
    np.testing.assert_allclose(out[:-3], x, atol=1 / 32768)
    np.testing.assert_allclose(out[-3:], [32767 / 32768, -1, 0], atol=1e-6)


# --- µ-law -------------------------------------------------------------------------------------------

def test_mu_law_matches_the_closed_form():
    x = np.linspace(-1, 1, 100_001)
    out = mu_law(x)
    assert out[0] == -1 and out[-1] == 1 and out[50_000] == 0
    np.testing.assert_array_equal(mu_law(-x), -out)
    y = np.log1p(MU * np.abs(out.astype(np.float64))) / np.log1p(MU) * 127  # each output sits on a level k / 127
    np.testing.assert_allclose(y, np.round(y), atol=1e-4)
    assert len(np.unique(out)) == 255
    # Quantisation noise: steps Δ = 1/127 in y, so error² ≈ Δ²/12 (dx/dy)², dx/dy = ln(1 + µ) (1/µ + |x|)
    # (a sine would not do: it lingers at its peak, so its rounding errors there are not uniform)
    s = np.random.default_rng(0).uniform(-0.5, 0.5, 100_000)
    noise = np.mean((mu_law(s) - s) ** 2)
    predicted = (1 / 127) ** 2 / 12 * np.log1p(MU) ** 2 * np.mean((1 / MU + np.abs(s)) ** 2)
    assert abs(10 * np.log10(noise / predicted)) < 0.3
    assert 37 < snr_db(s, mu_law(s)) < 39  # the textbook 6.02 b + 4.77 - 20 log10 ln(1 + µ) ≈ 38 dB


# --- codecs ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def note() -> np.ndarray:
    return synthetic_sounds(1, seconds=2.0, seed=0)[0]  # sound 0 is a note


@pytest.mark.parametrize("codec", ["opus", "mp3"])
def test_codec_roundtrip_keeps_the_length_and_the_sound(note, codec):
    sizes = {}
    for level in (0.0, 0.5, 1.0):
        decoded, sizes[level] = codec_roundtrip(note, SOUND_RATE, codec, level)
        assert decoded.shape == note.shape and decoded.dtype == np.float32
    assert sizes[0.0] >= sizes[0.5] > sizes[1.0] > 0
    decoded, _ = codec_roundtrip(note, SOUND_RATE, codec, 0.5)
    assert np.isfinite(snr_db(note, decoded)) and snr_db(note, decoded) > 5


def test_opus_resamples_a_rate_it_cannot_write():
    x = sine(440, 1.0, 11_025).astype(np.float32)
    decoded, size = codec_roundtrip(x, 11_025, "opus", 0.5)
    assert decoded.shape == x.shape and size > 0
    assert snr_db(x, decoded) > 5 and abs(peak_hz(decoded, 11_025) - 440) <= 1


@pytest.mark.parametrize("codec", ["opus", "mp3"])
def test_match_bytes_hits_the_target(note, codec):
    target = 2000
    decoded, got, level = match_bytes(note, SOUND_RATE, codec, target)
    snr = snr_db(note, decoded)
    print(f"FIGURE sound: {codec} target {target} B/s got {got:.0f} B/s level {level:.3f} snr {snr:.1f} dB")
    assert abs(got / target - 1) <= 0.1 and 0 <= level <= 1
    assert decoded.shape == note.shape and snr > 5
    _, size = codec_roundtrip(note, SOUND_RATE, codec, level)
    assert size / 2.0 == got


@pytest.mark.parametrize("codec", ["opus", "mp3"])
def test_match_bytes_refuses_a_target_below_the_floor_in_french(codec):
    x = synthetic_sounds(4, seconds=3.0, seed=5)
    floors = [codec_roundtrip(s, SOUND_RATE, codec, 1.0)[1] / 3.0 for s in x]
    print(f"FIGURE sound: {codec} floor at 8 kHz over 3 s ({', '.join(SOUND_KINDS)}): "
          + ", ".join(f"{f:.0f}" for f in floors) + " B/s")
    assert 500 < min(floors) and max(floors) < 2500
    with pytest.raises(LearnerError) as exc:
        match_bytes(x[0], SOUND_RATE, codec, 0.5 * floors[0])
    assert_french_error(exc, "octets par seconde", "trop basse")
    with pytest.raises(LearnerError) as exc:
        match_bytes(x[0], SOUND_RATE, codec, 1e6)
    assert_french_error(exc, "octets par seconde", "trop haute")
