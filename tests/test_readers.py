"""CSV and image readers: clean data out, or ReaderError with a French message, never anything else."""

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from ae_core.readers import (
    MIN_ROWS,
    ReaderError,
    breast_cancer_csv,
    parse_csv,
    prepare_table,
    read_csv,
    read_image,
    scored_csv,
    to_dataset_image,
)


def rows_csv(n=30, sep=",", header=("a", "b", "c"), seed=0) -> str:
    rng = np.random.default_rng(seed)
    lines = [sep.join(header)] + [sep.join(f"{v:.4f}" for v in rng.normal(size=len(header))) for _ in range(n)]
    return "\n".join(lines) + "\n"


def assert_french_error(exc_info, *words):
    """The message names the problem with the expected French words."""
    msg = str(exc_info.value)
    for w in words:
        assert w in msg.lower(), msg


# --- CSV: good input -------------------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_separators_are_sniffed_and_columns_standardised(sep):
    t = read_csv(rows_csv(sep=sep).encode())
    assert t.features == ("a", "b", "c")
    assert t.x.shape == (30, 3) and t.x.dtype == torch.float32
    torch.testing.assert_close(t.x.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(t.x.std(0, correction=0), torch.ones(3), atol=1e-5, rtol=0)
    assert t.images.shape == (30, 1, 1, 3)


def test_french_excel_export_with_decimal_comma_and_windows_encoding():
    text = rows_csv(sep=";", header=("température", "pression", "débit")).replace(".", ",")
    t = read_csv(text.encode("cp1252"))
    assert t.features == ("température", "pression", "débit")
    assert "Windows-1252" in t.notes[0] and "point-virgule" in t.notes[0]
    expected = np.loadtxt(io.StringIO(text.replace(",", ".")), delimiter=";", skiprows=1)
    np.testing.assert_allclose(t.x.numpy(), (expected - expected.mean(0)) / expected.std(0), atol=1e-5)


def test_label_column_and_text_columns_are_kept_out_of_the_features():
    t = read_csv(breast_cancer_csv(n_anomalies=20), label_column="diagnostic")
    assert len(t.features) == 30 and "diagnostic" not in t.features
    assert t.label_mask("malin").sum() == 20
    t2 = read_csv(breast_cancer_csv(n_anomalies=20))  # no label chosen: the text column is skipped
    assert len(t2.features) == 30 and any("diagnostic" in n for n in t2.notes)


def test_nan_and_infinite_values_are_counted_and_replaced_by_the_median():
    lines = rows_csv(n=25).splitlines()
    lines[3] = "nan,inf,1.0"
    lines[5] = ",2.0,-inf"
    t = read_csv(("\n".join(lines) + "\n").encode())
    assert torch.isfinite(t.x).all()
    assert any("4 valeurs manquantes ou infinies (sur 2 lignes)" in n for n in t.notes), t.notes


def test_constant_columns_are_dropped_with_a_note():
    text = "a,b,k\n" + "".join(f"{i},{i * i % 7},5\n" for i in range(25))
    t = read_csv(text.encode())
    assert t.features == ("a", "b") and any("« k »" in n for n in t.notes)


def test_scored_csv_adds_score_and_flag_columns():
    frame, _ = parse_csv(rows_csv().encode())
    s = np.linspace(0, 1, len(frame))
    out = parse_csv(scored_csv(frame, s, threshold=0.5))[0]
    assert list(out.columns) == ["a", "b", "c", "score_anomalie", "anomalie"]
    assert out["anomalie"].astype(int).tolist() == (s > 0.5).astype(int).tolist()
    assert out["a"].tolist() == frame["a"].tolist()


# --- CSV: bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    (b"", ["vide"]),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["texte"]),
    (b"a,b\n1,2\n", ["lignes"]),
    (b"a,b\n" + b"1,2\n" * (MIN_ROWS - 1), [str(MIN_ROWS)]),
    (b"valeur\n" + b"1\n" * 40, ["une seule colonne"]),
    (b"a;b;a\n" + b"1;2;3\n" * 30, ["double", "« a »"]),
    (b"nom,ville\n" + b"Ana,Lyon\n" * 30, ["aucune colonne num"]),
    (b"x,nom\n" + b"".join(b"%d,Ana\n" % i for i in range(30)), ["une seule colonne num"]),
    (b"a,b\n" + b"1,2\n" * 30 + b"1,2,3,4\n", ["champs"]),
    ("a,b\n1,2\n".encode("utf-16-le") * 20, ["texte"]),
    (b"a,b\n\x81\x8d\x8f\x90\x9d,1\n" + "é,2\n".encode() * 30, ["encodage"]),
])
def test_bad_csv_raises_reader_error_in_french(data, words):
    with pytest.raises(ReaderError) as exc_info:
        read_csv(data)
    assert_french_error(exc_info, *words)


def test_csv_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(ReaderError) as exc_info:
        read_csv(rows_csv(n=200).encode(), max_bytes=1000)
    assert_french_error(exc_info, "trop gros")


def test_unknown_label_column_is_refused():
    frame, notes = parse_csv(rows_csv().encode())
    with pytest.raises(ReaderError):
        prepare_table(frame, "z", notes)


NUMBERS = st.one_of(st.floats(width=64).map(repr), st.integers(-10 ** 30, 10 ** 30).map(str),
                    st.sampled_from(["", "nan", "inf", "-inf", "1,5", "1e400", "1e-320"]))


@st.composite
def table_bytes(draw):
    """Tables with the right shape but wild cells: NaN, huge, constant, text, odd encodings."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    n_cols, n_rows = draw(st.integers(1, 5)), draw(st.integers(18, 40))
    header = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "é", "x y"]), min_size=n_cols,
                           max_size=n_cols, unique=draw(st.integers(0, 3)) > 0))
    cells = st.one_of(NUMBERS, st.sampled_from(["abc", '"x"'])) if draw(st.booleans()) else NUMBERS
    rows = draw(st.lists(st.lists(cells, min_size=n_cols, max_size=n_cols), min_size=n_rows,
                         max_size=n_rows))
    text = "\n".join(sep.join(r) for r in [header, *rows])
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2000), table_bytes(),
                 st.text(alphabet=st.sampled_from(list("0123456789.,;\t|-e\n\"' abinf")), max_size=2000)
                 .map(str.encode)))
def test_random_bytes_give_clean_table_or_reader_error(data):
    try:
        t = read_csv(data)
    except ReaderError as exc:
        assert str(exc)
        event("ReaderError")
        return
    event("table")
    assert t.x.ndim == 2 and t.x.shape[0] >= MIN_ROWS and t.x.shape[1] >= 2
    assert torch.isfinite(t.x).all()


# --- images ---------------------------------------------------------------------------------------

def encode_image(img: Image.Image, fmt="PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def dark_digit_on_white(size=(90, 60)) -> Image.Image:
    a = np.full(size[::-1], 255, np.uint8)
    a[15:45, 40:50] = 0  # a thick vertical stroke: a "1"
    return Image.fromarray(a)


@pytest.mark.parametrize("fmt, mode", [("PNG", "L"), ("PNG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"),
                                       ("JPEG", "L"), ("JPEG", "RGB"), ("PNG", "1")])
def test_image_is_grey_inverted_centred_and_resized(fmt, mode):
    x = read_image(encode_image(dark_digit_on_white().convert(mode), fmt), (1, 28, 28))
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert x[0, 0, :, :3].max() < 0.1 and x[0, 0, :, -3:].max() < 0.1  # dark margins (inverted)
    assert x[0, 0, 14, 14] > 0.7  # the stroke, centred
    assert read_image(encode_image(dark_digit_on_white()), (1, 8, 8)).shape == (1, 1, 8, 8)


def test_light_on_dark_image_is_not_inverted_and_transparency_becomes_white():
    light = Image.fromarray(255 - np.asarray(dark_digit_on_white()))
    torch.testing.assert_close(read_image(encode_image(light), (1, 28, 28)),
                               read_image(encode_image(dark_digit_on_white()), (1, 28, 28)))
    rgba = np.zeros((60, 90, 4), np.uint8)
    rgba[15:45, 40:50, 3] = 255  # black opaque stroke on a fully transparent page
    x = read_image(encode_image(Image.fromarray(rgba, "RGBA")), (1, 28, 28))
    assert x[0, 0, 14, 14] > 0.7 and x[0, 0, 0, 0] < 0.1


def png_chunks(width, height, depth, color_type, raw: bytes) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


NOISE = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
NOISE_PNG, NOISE_JPEG = encode_image(NOISE), encode_image(NOISE, "JPEG")


def animated_png() -> bytes:
    frames = [Image.new("L", (8, 8), v) for v in (0, 120, 240)]
    return encode_image(frames[0], save_all=True, append_images=frames[1:])


@pytest.mark.parametrize("data, words", [
    (b"bonjour, ceci est un texte", ["pas une image"]),
    (encode_image(Image.new("L", (8, 8)), "GIF"), ["gif", "png ou jpeg"]),
    (animated_png(), ["animée"]),
    (encode_image(Image.fromarray(np.zeros((8, 8), np.uint16))), ["16 bits"]),
    (png_chunks(4, 3, 16, 2, b"".join(b"\x00" + bytes(24) for _ in range(3))), ["16 bits"]),
    (encode_image(Image.new("CMYK", (8, 8)), "JPEG"), ["cmjn"]),
    (png_chunks(7000, 7000, 8, 0, b""), ["trop grande", "7000 × 7000"]),
    (png_chunks(70000, 70000, 8, 0, b""), ["trop grande"]),
    (NOISE_PNG[:len(NOISE_PNG) // 2], ["abîmée"]),
    (NOISE_JPEG[:len(NOISE_JPEG) // 2], ["abîmée"]),
])
def test_bad_images_raise_reader_error_in_french(data, words):
    with pytest.raises(ReaderError) as exc_info:
        read_image(data, (1, 28, 28))
    assert_french_error(exc_info, *words)


def test_image_over_the_size_limit_is_refused():
    with pytest.raises(ReaderError) as exc_info:
        read_image(encode_image(dark_digit_on_white()), (1, 28, 28), max_bytes=100)
    assert_french_error(exc_info, "trop lourde")


IMAGE_MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "I;16", "CMYK"]


@st.composite
def image_bytes(draw):
    """Real small images of many modes and formats, possibly truncated or with flipped bytes."""
    mode, fmt = draw(st.sampled_from(IMAGE_MODES)), draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]))
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2 ** 16))
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, 4), dtype=np.uint8)
    img = Image.fromarray(pixels, "RGBA").convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        img = Image.fromarray(np.asarray(img).astype(np.uint16) * 257)
    try:
        data = encode_image(img, fmt)
    except (OSError, ValueError, KeyError):
        data = encode_image(img.convert("RGB"), "PNG")
    cut = draw(st.integers(0, len(data)))
    flips = draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=3))
    out = bytearray(data[:cut] if draw(st.booleans()) else data)
    for i in flips:
        if i < len(out):
            out[i] ^= 0xFF
    return bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=3000), image_bytes()))
def test_random_bytes_give_clean_image_or_reader_error(data):
    try:
        x = read_image(data, (1, 28, 28))
    except ReaderError as exc:
        assert str(exc)
        return
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert torch.isfinite(x).all() and 0.0 <= x.min() and x.max() <= 1.0


def test_to_dataset_image_follows_mnist_and_the_digits_conventions():
    grey = np.zeros((300, 100), np.uint8)
    grey[50:250, 40:60] = 255  # a tall stroke, off centre
    grey[50:70, 20:40] = 255  # with a flag on its upper left
    x = to_dataset_image(grey, (1, 28, 28))[0, 0]
    rows, cols = np.flatnonzero(x.numpy().max(1) > 0.05), np.flatnonzero(x.numpy().max(0) > 0.05)
    assert rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 <= 21  # the 20 x 20 box (one pixel of blur)
    ys, xs = np.indices(x.shape)
    cy, cx = (ys * x.numpy()).sum() / x.sum().item() + 0.5, (xs * x.numpy()).sum() / x.sum().item() + 0.5
    assert abs(cy - 14) < 1 and abs(cx - 14) < 1  # the centre of mass at the centre, as MNIST's
    small = to_dataset_image(grey, (1, 8, 8))[0, 0].numpy()
    assert small[0].max() > 0.3 and small[-1].max() > 0.3  # the bounding box fills the 8 x 8 frame
    assert to_dataset_image(np.zeros((5, 5), np.uint8), (1, 28, 28)).abs().sum() == 0


@pytest.mark.parametrize("size", [(36_000, 10), (10, 9_000), (6000, 2001)])
def test_elongated_or_huge_images_are_refused_before_decoding(size):
    with pytest.raises(ReaderError) as exc_info:
        read_image(png_chunks(*size, 8, 0, b""), (1, 28, 28))
    assert_french_error(exc_info, "trop grande ou trop allongée")


def test_a_separator_at_the_end_of_every_data_line_does_not_shift_the_columns():
    rows = "".join(f"{i},{i * 2},{i * 3},\n" for i in range(25))
    frame, notes = parse_csv(("a,b,c\n" + rows).encode())
    assert list(frame.columns) == ["a", "b", "c"] and frame.iloc[1].tolist() == ["1", "2", "3"]
    assert any("séparateur de plus" in n for n in notes)
    extra = "".join(f"{i},{i * 2},{i * 3},{i * 4}\n" for i in range(25))  # real values past the header
    with pytest.raises(ReaderError) as exc_info:
        parse_csv(("a,b,c\n" + extra).encode())
    assert_french_error(exc_info, "plus de champs que l'en-tête")


@pytest.mark.parametrize("encoding,bom", [("cp1252", b""), ("utf-8", b"\xef\xbb\xbf"), ("latin-1", b"")])
def test_a_french_spreadsheet_export_reads_as_numbers(encoding, bom):
    rows = "".join(f"{i};{i},5;{-i},25;été\r\n" for i in range(25))
    table = read_csv(bom + f"mesure;écart;température;saison\r\n{rows}".encode(encoding))
    assert table.features == ("mesure", "écart", "température")
    np.testing.assert_allclose(table.frame["écart"].str.replace(",", ".").astype(float)[:3], [0.5, 1.5, 2.5])
    assert any("saison" in n for n in table.notes)  # the text column is named, not silently used
