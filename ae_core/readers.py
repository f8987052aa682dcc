"""The learner's CSV tables read into standardised rows, and ReaderError for any file that cannot be used."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .data import Dataset
from .errors import LearnerError

MAX_CSV_BYTES = 5 * 1024 * 1024
MIN_ROWS = 20
MAX_ROWS = 20_000  # 100 epochs of the table recipe on 20 000 rows: 5 to 8\u00a0s on one thread
MAX_COLUMNS = 500
NA_TEXTS = ["", "nan", "NaN", "NA", "N/A", "null", "None"]  # empty cells
SEPARATORS = {",": "virgule", ";": "point-virgule", "\t": "tabulation", "|": "barre verticale"}


class ReaderError(LearnerError):
    """A file the learner gave cannot be used; the message is French and says what to do."""


@dataclass(frozen=True, eq=False)
class Table:
    """A CSV ready for an autoencoder: x (N, F) standardised float32, plus what the learner must know.

    `frame` keeps every column as read (N rows; numbers as numbers, text as text), `labels` the
    chosen label column or None, `notes` French sentences about what was read and repaired.
    """

    frame: pd.DataFrame
    features: tuple[str, ...]
    x: torch.Tensor
    mean: np.ndarray
    std: np.ndarray
    labels: pd.Series | None
    notes: tuple[str, ...]

    @property
    def images(self) -> torch.Tensor:
        """x viewed as (N, 1, 1, F), the shape an MLP autoencoder with image_shape (1, 1, F) takes."""
        return self.x.view(len(self.x), 1, 1, -1)

    @property
    def fingerprint(self) -> str:
        """16 hex digits of a hash of the column names and standardised values: the table's identity."""
        digest = hashlib.sha256("\x1f".join(self.features).encode())
        digest.update(self.x.numpy().tobytes())
        return digest.hexdigest()[:16]

    def as_dataset(self) -> Dataset:
        """The rows as a Dataset named 'table:<fingerprint>' (no official test part, no classes)."""
        return Dataset(f"table:{self.fingerprint}", self.images, torch.zeros(len(self.x), dtype=torch.long),
                       (), len(self.x))

    def label_mask(self, anomaly_value) -> np.ndarray:
        """Bool (N,): rows whose label equals `anomaly_value`."""
        if self.labels is None:
            raise ValueError("this table has no label column")
        return (self.labels.astype(str) == str(anomaly_value)).to_numpy()


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    elif b"\x00" in data:
        raise ReaderError("Ce fichier contient des octets nuls : ce n'est pas un fichier texte CSV.")
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text)
        if controls > max(2, len(text) // 100) or "\x00" in text:
            raise ReaderError("Ce fichier ne ressemble pas à du texte : est-ce bien un fichier CSV ?")
        return text, {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}[encoding]
    raise ReaderError("Encodage non reconnu : enregistrez le fichier en UTF-8 (« CSV UTF-8 » dans un tableur).")


def sniff_separator(lines: list[str]) -> str:
    """The separator whose count is the same on most of the first lines (ties: the most columns)."""
    best, best_key = ",", (-1, 0)
    for sep in SEPARATORS:
        counts = [line.count(sep) for line in lines]
        if counts[0] == 0:
            continue
        key = (sum(c == counts[0] for c in counts), counts[0])
        if key > best_key:
            best, best_key = sep, key
    return best


def parse_csv(data: bytes, max_bytes: int = MAX_CSV_BYTES, max_rows: int = MAX_ROWS
              ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """CSV bytes -> (frame of MIN_ROWS to `max_rows` rows and >= 2 columns, French notes). Raises ReaderError.

    Columns of numbers come out as numbers (a decimal comma too, where the separator is not a comma),
    the others as text; only the first `max_rows` rows are read. Memory stays a small multiple of the
    file's size: no cell of a numeric column ever becomes a Python string (tests/test_memory.py).
    """
    if len(data) > max_bytes:
        raise ReaderError(f"Fichier trop gros ({len(data) / 1e6:.1f}\u00a0Mo) : la limite est de "
                          f"{max_bytes / 1e6:.0f}\u00a0Mo. Gardez un extrait de quelques milliers de lignes.")
    text, encoding = decode_text(data)
    lines = [line for line in text[:1 << 20].splitlines()[:50] if line.strip()]
    if not lines:
        raise ReaderError("Le fichier est vide.")
    sep = sniff_separator(lines)
    header = next(csv.reader([lines[0]], delimiter=sep))
    names = [name.strip() for name in header]
    if len(names) < 2:
        raise ReaderError("Une seule colonne trouvée : le séparateur n'est peut-être pas reconnu "
                          "(virgule, point-virgule, tabulation ou barre verticale), "
                          "ou le fichier n'a qu'une colonne ; il en faut au moins deux.")
    if len(names) > MAX_COLUMNS:
        raise ReaderError(f"Trop de colonnes ({len(names)}) : la limite est de {MAX_COLUMNS}.")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ReaderError("Noms de colonnes en double : " + ", ".join(f"« {n} »" for n in duplicated)
                          + ". Renommez-les pour que chaque colonne ait un nom unique.")
    text, trailing = _strip_trailing_separators(text.lstrip("\r\n"), sep)
    try:  # header=None: the number of fields comes from the data, and is compared with the header's
        frame = pd.read_csv(io.BytesIO(text.encode()), sep=sep, skipinitialspace=True, skip_blank_lines=True,
                            header=None, skiprows=1, nrows=max_rows + 1, decimal="." if sep == "," else ",",
                            na_values=NA_TEXTS, keep_default_na=False)
    except pd.errors.EmptyDataError:  # a header and no data
        frame = pd.DataFrame(columns=range(len(names)))
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        detail = str(exc).splitlines()[-1] if str(exc) else type(exc).__name__
        raise ReaderError("Lecture du CSV impossible : les lignes n'ont pas toutes le même nombre "
                          f"de champs, ou des guillemets ne sont pas fermés. Détail : {detail}") from exc
    if frame.shape[1] > len(names):
        raise ReaderError(f"Les lignes de données ont plus de champs que l'en-tête ({len(names)} noms de "
                          "colonnes) : ajoutez les noms qui manquent à la première ligne.")
    frame = frame.reindex(columns=range(len(names)))  # short rows only: the missing cells are empty
    frame.columns = names
    if len(frame) < MIN_ROWS:
        raise ReaderError(f"Seulement {len(frame)} lignes de données : il en faut au moins {MIN_ROWS} "
                          "pour apprendre ce qui est « normal ».")
    cut = len(frame) > max_rows
    frame = frame.iloc[:max_rows]
    comma = sep != "," and any(re.search(r"\d,\d", line) for line in lines[1:])
    frame.attrs["dialect"] = (sep, "," if comma else ".")  # scored_csv writes the file back the same way
    notes = (f"Encodage : {encoding} ; séparateur : {SEPARATORS[sep]} ; "
             f"{_count(len(frame))} lignes, {len(frame.columns)} colonnes.",)
    if cut:
        notes += (f"Seules les {_count(max_rows)} premières lignes sont lues (la limite de l'atelier) : "
                  "pour un autre extrait, découpez le fichier.",)
    if trailing:
        notes += ("Chaque ligne de données finissait par un séparateur de plus que l'en-tête : il a été ignoré.",)
    return frame, notes


def _count(n: int) -> str:
    return f"{n:,}".replace(",", " ")  # 20 000, in French


def _strip_trailing_separators(text: str, sep: str) -> tuple[str, bool]:
    """(text, True) with one trailing `sep` removed from every data line when all of them end with one and
    the header does not (a common spreadsheet export); else (text, False)."""
    header, _, body = text.partition("\n")
    end = re.escape(sep) + r"[ \t\r]*$"
    if (not body.strip() or re.search(end, header)
            or re.search(rf"(?m)^(?=[^\n]*\S)(?![^\n]*{end})", body)):  # a non-blank line without one
        return text, False
    return header + "\n" + re.sub(rf"(?m){end}", "", body), True


def _to_number(column: pd.Series) -> pd.Series | None:
    """Floats of a column (a text column with decimal commas too; empty cells -> NaN), or None if not numeric."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return None if column.isna().all() else column.astype(float)
    text = column.astype(str).str.strip().str.replace(",", ".", regex=False)
    empty = column.isna() | text.isin(NA_TEXTS)
    values = pd.to_numeric(text.where(~empty), errors="coerce")
    if values[~empty].isna().any() or empty.all():
        return None
    return values.astype(float)


def prepare_table(frame: pd.DataFrame, label_column: str | None = None, notes: tuple[str, ...] = ()
                  ) -> Table:
    """Numeric columns of `frame` (label column excluded), repaired and standardised -> Table."""
    notes = list(notes)
    if label_column is not None and label_column not in frame.columns:
        raise ReaderError(f"La colonne d'étiquettes « {label_column} » n'existe pas dans ce fichier.")
    numeric, skipped, dropped = {}, [], []
    for name in frame.columns:
        if name == label_column:
            continue
        values = _to_number(frame[name])
        if values is None:
            skipped.append(name)
            continue
        finite = values[np.isfinite(values)]
        if len(finite) == 0 or finite.min() == finite.max():
            dropped.append(name)
        else:
            numeric[name] = values
    if skipped:
        notes.append("Colonnes non numériques ignorées : " + ", ".join(f"« {n} »" for n in skipped) + ".")
    if dropped:
        notes.append("Colonnes constantes ou vides ignorées : " + ", ".join(f"« {n} »" for n in dropped) + ".")
    if not numeric:
        raise ReaderError("Aucune colonne numérique utilisable : il faut des nombres (le point ou la "
                          "virgule comme séparateur décimal) qui ne soient pas tous égaux.")
    if len(numeric) < 2:
        raise ReaderError(f"Une seule colonne numérique utilisable (« {next(iter(numeric))} ») : "
                          "un autoencodeur a besoin d'au moins deux colonnes à comprimer.")
    values = pd.DataFrame(numeric).to_numpy(dtype=np.float64)  # (N, F)
    bad = ~np.isfinite(values)
    if bad.any():
        medians = np.array([np.median(col[np.isfinite(col)]) for col in values.T])
        values = np.where(bad, medians, values)
        n_cells, n_rows = int(bad.sum()), int(bad.any(1).sum())
        notes.append(f"{n_cells} valeur{'s' * (n_cells > 1)} manquante{'s' * (n_cells > 1)} ou "
                     f"infinie{'s' * (n_cells > 1)} (sur {n_rows} ligne{'s' * (n_rows > 1)}) "
                     f"remplacée{'s' * (n_cells > 1)} par la médiane de sa colonne.")
    scale = np.abs(values).max(0)  # divide first so that huge values cannot overflow the variance
    mean, std = (values / scale).mean(0) * scale, (values / scale).std(0) * scale
    x = (values - mean) / std
    if not (np.isfinite(x).all() and (std > 0).all()):
        raise ReaderError("Certaines valeurs sont trop grandes ou trop proches pour être standardisées.")
    labels = frame[label_column].reset_index(drop=True) if label_column is not None else None
    return Table(frame.reset_index(drop=True), tuple(numeric), torch.from_numpy(x).float(),
                 mean, std, labels, tuple(notes))


def read_csv(data: bytes, label_column: str | None = None, max_bytes: int = MAX_CSV_BYTES) -> Table:
    """CSV bytes -> Table: parse_csv then prepare_table. Raises ReaderError on any bad input."""
    frame, notes = parse_csv(data, max_bytes)
    return prepare_table(frame, label_column, notes)


def scored_csv(frame: pd.DataFrame, scores: np.ndarray, threshold: float) -> bytes:
    """UTF-8 CSV of frame (N rows) plus columns score_anomalie (N,) and anomalie (1 when > threshold).

    It has the separator and decimal mark of the learner's file, so that their spreadsheet opens it as it did.
    """
    out = frame.copy()
    out["score_anomalie"] = np.asarray(scores, dtype=float)
    out["anomalie"] = (out["score_anomalie"] > threshold).astype(int)
    sep, decimal = frame.attrs.get("dialect", (",", "."))
    return out.to_csv(index=False, sep=sep, decimal=decimal).encode("utf-8")


def breast_cancer_csv(n_anomalies: int = 20, seed: int = 0) -> bytes:
    """scikit-learn's breast-cancer table as CSV: every benign row plus a few malignant ones (anomalies)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    benign = np.flatnonzero(bunch.target == 1)
    malignant = np.random.default_rng(seed).choice(np.flatnonzero(bunch.target == 0), n_anomalies,
                                                   replace=False)
    rows = np.sort(np.r_[benign, malignant])
    frame = frame.iloc[rows].reset_index(drop=True)
    frame["diagnostic"] = np.where(bunch.target.to_numpy()[rows] == 0, "malin", "bénin")
    return frame.to_csv(index=False, float_format="%.6g").encode("utf-8")
