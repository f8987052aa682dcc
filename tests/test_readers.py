"""The CSV reader: a clean table out, or ReaderError with a French message, never anything else."""

import io

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ae_core.readers import (
    MAX_ROWS,
    MIN_ROWS,
    ReaderError,
    breast_cancer_csv,
    parse_csv,
    prepare_table,
    read_csv,
    scored_csv,
)
from tests.conftest import assert_french_error


def rows_csv(n=30, sep=",", header=("a", "b", "c"), seed=0) -> str:
    rng = np.random.default_rng(seed)
    lines = [sep.join(header)] + [sep.join(f"{v:.4f}" for v in rng.normal(size=len(header))) for _ in range(n)]
    return "\n".join(lines) + "\n"


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
    assert t.features == ("a", "b") and any("« k »" in n for n in t.notes)


def test_scored_csv_adds_score_and_flag_columns():
    frame, _ = parse_csv(rows_csv().encode())
    s = np.linspace(0, 1, len(frame))
    out = parse_csv(scored_csv(frame, s, threshold=0.5))[0]
    assert list(out.columns) == ["a", "b", "c", "score_anomalie", "anomalie"]
    assert out["anomalie"].astype(int).tolist() == (s > 0.5).astype(int).tolist()
    assert out["a"].tolist() == frame["a"].tolist()


@pytest.mark.parametrize("decimal", [",", "."])
def test_scored_csv_keeps_the_files_separator_and_decimal_mark(decimal):
    rows = "".join(f"{i}{decimal}5;{-i}{decimal}25;x{i}\n" for i in range(30))
    frame, _ = parse_csv(("a;b;nom\n" + rows).encode())
    lines = scored_csv(frame, np.arange(30) / 10, threshold=1.0).decode().splitlines()
    assert lines[0] == "a;b;nom;score_anomalie;anomalie"
    assert lines[3] == f"2{decimal}5;-2{decimal}25;x2;0{decimal}2;0"


# --- CSV: bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    (b"", ["vide"]),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["texte"]),
    (b"a,b\n1,2\n", ["lignes"]),
    (b"a,b\n", ["lignes"]),
    (b"a,b\n" + b"1,2\n" * (MIN_ROWS - 1), [str(MIN_ROWS)]),
    (b"valeur\n" + b"1\n" * 40, ["une seule colonne"]),
    (b"a;b;a\n" + b"1;2;3\n" * 30, ["double", "« a »"]),
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


def test_a_separator_at_the_end_of_every_data_line_does_not_shift_the_columns():
    rows = "".join(f"{i},{i * 2},{i * 3},\n" for i in range(25))
    frame, notes = parse_csv(("a,b,c\n" + rows).encode())
    assert list(frame.columns) == ["a", "b", "c"] and frame.iloc[1].tolist() == [1, 2, 3]
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
    np.testing.assert_allclose(table.frame["écart"][:3], [0.5, 1.5, 2.5])  # read as numbers, kept as numbers
    assert any("saison" in n for n in table.notes)  # the text column is named, not silently used


def test_a_long_table_is_cut_at_the_row_limit_with_a_note():
    text = "a,b\n" + "".join(f"{i % 10},{i % 7}\n" for i in range(MAX_ROWS + 500))
    table = read_csv(text.encode())
    assert len(table.x) == len(table.frame) == MAX_ROWS
    assert table.frame["a"].tolist()[-3:] == [(MAX_ROWS - 3 + i) % 10 for i in range(3)]  # the first rows
    assert any("premières lignes" in n for n in table.notes), table.notes
    assert not any("premières" in n for n in read_csv(rows_csv().encode()).notes)


def test_quoted_decimal_commas_and_text_cells_beside_numbers():
    rows = "".join(f'"{i},5",{i},Ana\n' for i in range(25))
    table = read_csv(("x,y,nom\n" + rows).encode())
    assert table.features == ("x", "y")
    x = np.arange(25) + 0.5
    np.testing.assert_allclose(table.x[:, 0].numpy(), (x - x.mean()) / x.std(), atol=1e-5)
