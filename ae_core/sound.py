"""Short sounds for the « Signaux et sons » page: synthetic notes and vowels, windows, the learner's WAV, codecs."""

from __future__ import annotations

import io
from math import gcd

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from .errors import LearnerError
from .readers import ReaderError

SOUND_RATE = 8000  # Hz: telephone band, 8 000 bytes a second in 8-bit µ-law
SOUND_KINDS = ("note", "a", "i", "ou")
# Peterson & Barney (1952), average male formants F1, F2, F3 in Hz of /ɑ/, /i/, /u/.
FORMANTS = {"a": (730.0, 1090.0, 2440.0), "i": (270.0, 2290.0, 3010.0), "ou": (300.0, 870.0, 2240.0)}
MAX_WAV_BYTES = 5 * 1024 * 1024
MAX_CHANNELS = 8
MIN_WAV_RATE, MAX_WAV_RATE = 8_000, 192_000
MU = 255.0  # ITU-T G.711 µ-law
_BLOCK = 1 << 16  # frames decoded at a time: a multichannel file never costs more than its mono signal


def synthetic_sounds(n: int, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """(n, round(seconds * SOUND_RATE)) float32 sounds peaking at 0.5; sound i is of kind SOUND_KINDS[i % 4].

    A fundamental f0 drawn log-uniformly in [110, 440] Hz with a slight vibrato, harmonics up to 3.6 kHz
    whose amplitudes decay as k^-p (a note) or follow the formants of a vowel (« a », « i », « ou »),
    random harmonic phases, and an attack then a decay (note) or a release (vowel).
    """
    if n < 1 or seconds < 0.01:
        raise ValueError(f"need n >= 1 and seconds >= 0.01, got n={n}, seconds={seconds}")
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SOUND_RATE)) / SOUND_RATE  # (T,)
    f0 = np.exp(rng.uniform(np.log(110), np.log(440), n))[:, None]  # (n, 1)
    depth, vib_rate, vib_phase = (rng.uniform(lo, hi, (n, 1)) for lo, hi in ((.003, .012), (4, 7), (0, 2 * np.pi)))
    # phase = 2π ∫ f0 (1 + depth sin(2π v t + φ)) dt, kept modulo 2π so that k * phase stays exact in float32
    phase = 2 * np.pi * f0 * t - f0 * depth / vib_rate * (np.cos(2 * np.pi * vib_rate * t + vib_phase)
                                                          - np.cos(vib_phase))
    phase = np.mod(phase, 2 * np.pi).astype(np.float32)  # (n, T)
    k_max = int(0.45 * SOUND_RATE / 110)
    harmonic = f0 * np.arange(1, k_max + 1)  # (n, K) in Hz
    kinds = np.arange(n) % len(SOUND_KINDS)
    amp = np.arange(1, k_max + 1) ** -rng.uniform(1.0, 2.5, (n, 1))  # notes: (n, K)
    for kind, name in enumerate(SOUND_KINDS[1:], start=1):  # resonances of height w and half-width b
        peaks = sum(w / (1 + ((harmonic - f) / b) ** 2) for f, w, b in zip(FORMANTS[name], (1, .6, .3), (90, 110, 160)))
        amp = np.where((kinds == kind)[:, None], (0.03 + peaks) / np.arange(1, k_max + 1), amp)
    amp *= harmonic * (1 + depth) < 0.45 * SOUND_RATE  # nothing above 3.6 kHz: no aliasing
    harmonic_phase = rng.uniform(0, 2 * np.pi, (n, k_max)).astype(np.float32)
    x = np.zeros_like(phase)
    for k in range(k_max):
        x += amp[:, k:k + 1].astype(np.float32) * np.sin((k + 1) * phase + harmonic_phase[:, k:k + 1])
    attack = rng.uniform(0.005, 0.06, (n, 1))
    decay = np.where(kinds[:, None] == 0, np.exp(-t / (seconds * rng.uniform(0.2, 0.8, (n, 1)))), 1.0)
    release = np.clip((seconds - t) / rng.uniform(0.05, 0.15, (n, 1)), 0, 1)
    x *= (np.minimum(t / attack, 1) * decay * np.where(kinds[:, None] == 0, 1.0, release)).astype(np.float32)
    return (0.5 * x / np.abs(x).max(1, keepdims=True)).astype(np.float32)


def _window(size: int) -> np.ndarray:
    """Hann shifted by half a sample, sin²(π(m + ½)/size): never zero, and its copies at hop size/2 sum to 1."""
    return np.sin(np.pi * (np.arange(size) + 0.5) / size) ** 2


def frame(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    """1-D signal (T,) -> (n_windows, size) float32 slices every `hop` samples, zero-padded at the end."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1 or not 1 <= hop <= size:
        raise ValueError(f"need a 1-D signal and 1 <= hop <= size, got shape {x.shape}, size {size}, hop {hop}")
    n = 1 + max(0, -(-(len(x) - size) // hop))  # enough windows to cover every sample
    padded = np.zeros((n - 1) * hop + size, dtype=np.float32)
    padded[:len(x)] = x
    return np.lib.stride_tricks.sliding_window_view(padded, size)[::hop].copy()  # (n, size)


def overlap_add(windows: np.ndarray, hop: int, length: int) -> np.ndarray:
    """(n_windows, size) -> (length,) float32: each sample is the window-weighted mean of the windows over it.

    The weights are _window (a Hann crossfade), normalised by their sum at each sample, so that unchanged
    windows give the signal back exactly and changed ones fade into each other without clicks.
    """
    windows = np.asarray(windows, dtype=np.float64)
    n, size = windows.shape
    if not 1 <= hop <= size:
        raise ValueError(f"need 1 <= hop <= size, got size {size}, hop {hop}")
    w = _window(size)
    index = (np.arange(n)[:, None] * hop + np.arange(size)).ravel()  # (n * size,)
    total = (n - 1) * hop + size
    num = np.bincount(index, weights=(windows * w).ravel(), minlength=total)
    den = np.bincount(index, weights=np.tile(w, n), minlength=total)
    out = np.zeros(length, dtype=np.float32)
    out[:min(length, total)] = (num / den)[:length]
    return out


def _fr(value: float, digits: int = 0) -> str:
    """A number written the French way: 192 000, 2,5."""
    return f"{value:,.{digits}f}".translate({ord(","): "\u00a0", ord("."): ","})


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """(T,) at rate_in -> (ceil(T * rate_out / rate_in),) float32 at rate_out, polyphase (rational factor)."""
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float32)
    g = gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // g, rate_in // g).astype(np.float32)


def read_wav(data: bytes, rate: int = SOUND_RATE, max_seconds: float = 20.0) -> np.ndarray:
    """WAV bytes -> (T,) mono float32 at `rate` in [-1, 1], T <= max_seconds * rate. Raises ReaderError.

    Bounded before anything is decoded: MAX_WAV_BYTES, at most MAX_CHANNELS (averaged), 8 to 192 kHz and
    max_seconds read from the header; then at most max_seconds of frames are decoded, block by block, so a
    header that lies costs no more than the bound. A float file louder than full scale is scaled down.
    """
    if len(data) > MAX_WAV_BYTES:
        raise ReaderError(f"Fichier trop lourd ({_fr(len(data) / 1e6, 1)}\u00a0Mo)\u00a0: la limite est de "
                          f"{_fr(MAX_WAV_BYTES / 1e6)}\u00a0Mo. Gardez un extrait de quelques secondes.")
    try:
        f = sf.SoundFile(io.BytesIO(data))
    except (sf.SoundFileError, RuntimeError, ValueError, TypeError, EOFError) as exc:
        raise ReaderError("Ce fichier n'est pas un fichier WAV lisible\u00a0: enregistrez le son en WAV.") from exc
    with f:
        if f.format not in ("WAV", "WAVEX"):
            raise ReaderError(f"Format {f.format} non pris en charge\u00a0: envoyez un fichier WAV.")
        if f.channels > MAX_CHANNELS:
            raise ReaderError(f"Fichier à {f.channels} canaux\u00a0: la limite est de {MAX_CHANNELS}.")
        if not MIN_WAV_RATE <= f.samplerate <= MAX_WAV_RATE:
            raise ReaderError(f"Fréquence d'échantillonnage de {_fr(f.samplerate)}\u00a0Hz non prise en charge\u00a0: "
                              f"elle doit être comprise entre {_fr(MIN_WAV_RATE)} et {_fr(MAX_WAV_RATE)}\u00a0Hz.")
        if f.frames > max_seconds * f.samplerate:
            limit = _fr(max_seconds, int(max_seconds != int(max_seconds)))  # 20, or 2,5
            raise ReaderError(f"Son trop long ({_fr(f.frames / f.samplerate, 1)}\u00a0secondes)\u00a0: la limite est "
                              f"de {limit}\u00a0secondes. Gardez un extrait plus court.")
        mono, done = np.zeros(min(f.frames, int(max_seconds * f.samplerate)), dtype=np.float32), 0  # (T0,)
        try:
            while done < len(mono):
                block = f.read(min(_BLOCK, len(mono) - done), dtype="float32", always_2d=True)  # (b, channels)
                if not len(block):
                    break
                mono[done:done + len(block)] = block.mean(1)
                done += len(block)
        except (sf.SoundFileError, RuntimeError, ValueError) as exc:
            raise ReaderError("Fichier WAV tronqué ou abîmé\u00a0: impossible de le décoder.") from exc
    mono = mono[:done]
    if not done:
        raise ReaderError("Ce fichier WAV ne contient aucun son\u00a0: enregistrez quelques secondes.")
    if not np.isfinite(mono).all():
        raise ReaderError("Ce fichier contient des valeurs invalides (NaN ou infinies)\u00a0: "
                          "réenregistrez-le en PCM 16\u00a0bits.")
    mono /= max(1.0, float(np.abs(mono).max()))  # a float WAV may go beyond full scale
    return np.clip(_resample(mono, f.samplerate, rate), -1, 1)


def peak_normalise(x: np.ndarray, peak: float = 0.5) -> np.ndarray:
    """(T,) -> (T,) float32 scaled so that max |x| = peak, then clipped to [-1, 1]; silence stays silent."""
    x = np.asarray(x, dtype=np.float32)
    top = float(np.abs(x).max()) if x.size else 0.0
    return x.copy() if top == 0 else np.clip(x * (peak / top), -1, 1).astype(np.float32)


def to_wav_bytes(x: np.ndarray, rate: int) -> bytes:
    """(T,) signal -> bytes of a 16-bit PCM mono WAV file (clipped to [-1, 1], NaN as 0), for st.audio."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(np.nan_to_num(np.asarray(x, np.float32)), -1, 1), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def mu_law(x: np.ndarray, bits: int = 8) -> np.ndarray:
    """(T,) in [-1, 1] -> (T,) float32 after G.711-style µ-law (µ = 255) coding on 2^bits - 1 levels.

    y = sign(x) ln(1 + µ|x|) / ln(1 + µ) is rounded to a multiple of 1 / (2^(bits-1) - 1), then expanded
    back; 8 bits at 8 kHz cost a fixed 8 000 bytes a second.
    """
    if bits < 2:
        raise ValueError(f"need at least 2 bits, got {bits}")
    x, steps = np.clip(np.asarray(x, dtype=np.float64), -1, 1), 2 ** (bits - 1) - 1
    y = np.round(np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU) * steps) / steps
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(MU)) / MU).astype(np.float32)


# format, subtype, the only sample rates libsndfile writes, bitrate mode, the highest compression_level it takes
CODECS = {
    "opus": ("OGG", "OPUS", (8000, 12000, 16000, 24000, 48000), None, 1.0),
    # LAME's default (VBR) spans only ~1.3 to 2 kB/s at 8 kHz; its average bitrate mode ~1.2 to 7 kB/s.
    "mp3": ("MP3", "MPEG_LAYER_III", (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000), "AVERAGE",
            0.999),
}


def codec_roundtrip(x: np.ndarray, rate: int, codec: str, level: float) -> tuple[np.ndarray, int]:
    """(T,) at `rate` -> ((T,) float32 decoded, size in bytes of the whole file) through libsndfile.

    codec "opus" (Ogg Opus) or "mp3" (MPEG layer III, average bitrate); level is libsndfile's
    compression_level, 0 (best) to 1 (smallest; 0.999 for MP3). A rate the codec cannot write (Opus takes
    8, 12, 16, 24 or 48 kHz) is resampled to the next one it can, and the decoded sound back to `rate`.
    """
    if codec not in CODECS or not 0 <= level <= 1:
        raise ValueError(f"codec must be one of {sorted(CODECS)} and level in [0, 1], got {codec!r}, {level}")
    fmt, subtype, rates, mode, max_level = CODECS[codec]
    x = np.clip(np.nan_to_num(np.asarray(x, dtype=np.float32)), -1, 1)
    if x.ndim != 1 or not len(x):
        raise ValueError(f"need a non-empty 1-D signal, got shape {x.shape}")
    work = next((r for r in rates if r >= rate), rates[-1])
    buf = io.BytesIO()
    sf.write(buf, _resample(x, rate, work), work, format=fmt, subtype=subtype,
             compression_level=min(level, max_level), bitrate_mode=mode)
    size = len(buf.getvalue())
    buf.seek(0)
    decoded, decoded_rate = sf.read(buf, dtype="float32", always_2d=True)  # (T', 1)
    decoded = _resample(decoded[:, 0], decoded_rate, rate)
    out = np.zeros(len(x), dtype=np.float32)
    out[:min(len(x), len(decoded))] = decoded[:len(x)]
    return out, size


def match_bytes(x: np.ndarray, rate: int, codec: str, bytes_per_second: float) -> tuple[np.ndarray, float, float]:
    """(T,) -> ((T,) decoded, achieved bytes/s, level): the codec level whose file size is within 10 % of target.

    Brackets the level between 0 and 1 and probes where a straight line between the bracket's sizes meets
    the target (bisection when that probe is near an end). Raises LearnerError, in French, when the target
    is below what the codec can go down to on this sound (its floor), above its best quality, or in a jump.
    """
    seconds, target, name = len(x) / rate, float(bytes_per_second), {"opus": "Opus", "mp3": "MP3"}.get(codec, codec)

    def probe(level: float) -> tuple[np.ndarray, float, float]:
        decoded, size = codec_roundtrip(x, rate, codec, level)
        return decoded, size / seconds, level

    def miss(p: tuple[np.ndarray, float, float]) -> float:
        return abs(p[1] / target - 1)

    small, large = probe(1.0), probe(0.0)
    if target < 0.9 * small[1]:
        raise LearnerError(f"Cible trop basse pour {name}\u00a0: {_fr(target)}\u00a0octets par seconde, "
                           f"mais ce codec ne descend pas sous {_fr(small[1])}\u00a0octets par seconde pour ce son.")
    if target > 1.1 * large[1]:
        raise LearnerError(f"Cible trop haute pour {name}\u00a0: {_fr(target)}\u00a0octets par seconde, "
                           f"mais ce codec ne dépasse pas {_fr(large[1])}\u00a0octets par seconde pour ce son.")
    best = min(small, large, key=miss)
    lo, hi = large, small  # sizes fall as the level rises
    for _ in range(20):
        if miss(best) <= 0.05:  # half the promised tolerance: good enough, fewer encodings
            break
        share = (lo[1] - target) / (lo[1] - hi[1]) if lo[1] != hi[1] else 0.5
        level = lo[2] + (hi[2] - lo[2]) * min(max(share, 0.1), 0.9)
        trial = probe(level)
        best = min(best, trial, key=miss)
        lo, hi = (trial, hi) if trial[1] > target else (lo, trial)
    if miss(best) > 0.1:
        raise LearnerError(f"{name} saute de {_fr(lo[1])} à {_fr(hi[1])}\u00a0octets par seconde sans "
                           f"passer par {_fr(target)}\u00a0: choisissez une autre cible.")
    return best
