"""No upload, accepted or refused, raises the server's peak memory by more than 200 MB (a CSV: 80 MB).

Each input is handled in a fresh Python process; its peak resident memory (VmHWM) is compared with
that of a process handling a small valid input, so the cost of importing torch cancels out.
"""

import io
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from ae_core import ModelConfig, build_model, save_checkpoint

BUDGET_MB = 200
CSV_BUDGET_MB = 80  # a table stays in the learner's session: at most 16 times the 5 MB a file may weigh
HANDLE = """
import sys
from ae_core import CheckpointError, load_checkpoint
from ae_core.image_reader import read_image
from ae_core.errors import LearnerError
from ae_core.readers import ReaderError, read_csv
from ae_core.sound import read_wav
from ae_core.sound_windows import MAX_VOICE_SECONDS, voice_set
kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
try:
    if kind == "image":
        read_image(data, (1, 28, 28))
    elif kind == "csv":
        read_csv(data)
    elif kind == "wav":
        voice_set(read_wav(data, 8000, MAX_VOICE_SECONDS))
    else:
        load_checkpoint(data)
    outcome = "accepted"
except (ReaderError, CheckpointError, LearnerError):
    outcome = "refused"
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(outcome, peak // 1024)
"""


def handle(kind: str, path) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", HANDLE, kind, str(path)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    return out[0], int(out[1])


def png(width: int, height: int, row: bytes | None = None) -> bytes:
    """A grey PNG written chunk by chunk: `row` (default black) repeated, one line drawn in the middle."""
    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    row = row or bytes(width)
    line = b"\xff" * width
    z = zlib.compressobj(1)
    raw = b"".join(z.compress(b"\0" + (line if y == height // 2 else row)) for y in range(height)) + z.flush()
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def photo(mode: str, fmt: str) -> bytes:
    """A 4000 x 3000 image (12 megapixels, the limit): a dark stroke on a light page."""
    img = Image.new("L", (4000, 3000), 230)
    img.paste(20, (1800, 500, 2200, 2500))
    buf = io.BytesIO()
    img.convert(mode).save(buf, fmt, **({"compress_level": 1} if fmt == "PNG" else {}))
    return buf.getvalue()


def checkpoint_declaring(hidden: tuple[int, ...]) -> bytes:
    blob = torch.load(io.BytesIO(save_checkpoint(build_model(ModelConfig()), ModelConfig(), {"dataset": "mnist"})),
                      weights_only=True)
    blob["config"]["hidden"] = hidden
    buf = io.BytesIO()
    torch.save(blob, buf)
    return buf.getvalue()


def deflate_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * (1536 * 1024 * 1024))  # 1.5 GB in about 1.5 MB
    return buf.getvalue()


def table(rows: int, columns: int, cell) -> bytes:
    """A CSV of `rows` x `columns` cells, cell(i, j) each, under the 5 MB limit."""
    lines = [",".join(f"c{j}" for j in range(columns))]
    lines += [",".join(cell(i, j) for j in range(columns)) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# Each case measures a fresh process (a few seconds each): the whole file is slow, on one worker (one baseline).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("memory")]

CASES = {
    "image 36 000 000 x 1": ("image", lambda: png(36_000_000, 1), "refused"),
    "image 9 000 x 4 000, one line": ("image", lambda: png(9000, 4000), "refused"),
    "image 60 000 x 600, one line": ("image", lambda: png(60_000, 600), "refused"),
    "PNG RGBA 12 Mpx": ("image", lambda: photo("RGBA", "PNG"), "accepted"),
    "PNG palette 12 Mpx": ("image", lambda: photo("P", "PNG"), "accepted"),
    "JPEG 12 Mpx": ("image", lambda: photo("RGB", "JPEG"), "accepted"),
    "model with a 3 000 000-unit layer": ("model", lambda: checkpoint_declaring((3_000_000,)), "refused"),
    "model deflate bomb (1.5 GB)": ("model", deflate_bomb, "refused"),
    "CSV 1 200 000 rows x 2": ("csv", lambda: table(1_200_000, 2, lambda i, j: str((i + j) % 10)), "accepted"),
    "CSV 1 400 x 500 numbers": ("csv", lambda: table(1400, 500, lambda i, j: f"{(i * j) % 997 / 7:.3f}"), "accepted"),
    "CSV 1 400 x 500 quoted decimal commas": (
        "csv", lambda: table(1400, 500, lambda i, j: f'"{(i * j) % 97},{j % 10}"'), "accepted"),
    "CSV 800 x 500 distinct words": ("csv", lambda: table(800, 500, lambda i, j: f"m{i * 500 + j}"), "refused"),
    "WAV 19 s at 48 kHz": ("wav", lambda: wav(19 * 48_000, 1, 48_000), "accepted"),
    "WAV 8 channels at 96 kHz, float": ("wav", lambda: wav(150_000, 8, 96_000, "FLOAT"), "refused"),  # 1.6 s
    "WAV whose header claims 2 hours": ("wav", lambda: lying_wav(2 * 3600 * 48_000), "refused"),
}


def wav(frames: int, channels: int, rate: int, subtype: str = "PCM_16") -> bytes:
    """A WAV file of a tone on every channel."""
    import soundfile as sf

    x = np.sin(2 * np.pi * 220 * np.arange(frames) / rate).astype(np.float32)[:, None].repeat(channels, 1)
    buf = io.BytesIO()
    sf.write(buf, 0.5 * x, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


def lying_wav(frames: int) -> bytes:
    """A one-second WAV file whose header announces `frames` frames (16-bit mono at 48 kHz)."""
    data = bytearray(wav(48_000, 1, 48_000))
    data[40:44] = (2 * frames).to_bytes(4, "little")  # the data chunk's size, in bytes
    return bytes(data)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.png"
    small = np.zeros((40, 40), np.uint8)
    small[10:30, 18:22] = 255
    Image.fromarray(small).save(path)
    outcome, peak = handle("image", path)
    assert outcome == "accepted"
    return peak


@pytest.mark.parametrize("name", CASES)
def test_an_upload_costs_at_most_200_mb_of_peak_memory(name, baseline, tmp_path):
    kind, make, expected = CASES[name]
    path = tmp_path / "upload"
    path.write_bytes(make())
    outcome, peak = handle(kind, path)
    print(f"FIGURE memory {name}: {outcome}, +{peak - baseline} MB peak ({path.stat().st_size / 1e6:.2f} MB file)")
    assert outcome == expected
    assert peak - baseline <= (CSV_BUDGET_MB if kind == "csv" else BUDGET_MB)
