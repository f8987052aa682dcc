"""Readers for the learner's own files: CSV tables and PNG/JPEG images. Bad input raises ReaderError."""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .data import Dataset
from .errors import LearnerError

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Images: a 12-megapixel photo (4000 x 3000) decodes to 48 MB as RGBA at most; then it is reduced to
# WORK_SIDE pixels a side before any conversion, so no accepted image costs much more (measured in
# tests/test_memory.py).
MAX_IMAGE_PIXELS = 12_000_000
MAX_ASPECT = 20
WORK_SIDE = 512
MIN_ROWS = 20
MAX_COLUMNS = 500
SEPARATORS = {",": "virgule", ";": "point-virgule", "\t": "tabulation", "|": "barre verticale"}


class ReaderError(LearnerError):
    """A file the learner gave cannot be used; the message is French and says what to do."""


@dataclass(frozen=True, eq=False)
class Table:
    """A CSV ready for an autoencoder: x (N, F) standardised float32, plus what the learner must know.

    `frame` keeps every column as read (N rows), `labels` the chosen label column or None, `notes`
    French sentences about what was read and repaired.
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
        raise ReaderError("Ce fichier contient des octets nuls : ce n'est pas un fichier texte CSV.")
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text)
        if controls > max(2, len(text) // 100) or "\x00" in text:
            raise ReaderError("Ce fichier ne ressemble pas à du texte : est-ce bien un fichier CSV ?")
        return text, {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}[encoding]
    raise ReaderError("Encodage non reconnu : enregistrez le fichier en UTF-8 (« CSV UTF-8 » dans un tableur).")


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


def parse_csv(data: bytes, max_bytes: int = MAX_CSV_BYTES) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """CSV bytes -> (frame with N >= MIN_ROWS rows and >= 2 columns, French notes). Raises ReaderError."""
    if len(data) > max_bytes:
        raise ReaderError(f"Fichier trop gros ({len(data) / 1e6:.1f} Mo) : la limite est de "
                          f"{max_bytes / 1e6:.0f} Mo. Gardez un extrait de quelques milliers de lignes.")
    text, encoding = decode_text(data)
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        raise ReaderError("Le fichier est vide.")
    sep = sniff_separator(lines)
    header = next(csv.reader([lines[0]], delimiter=sep))
    names = [name.strip() for name in header]
    if len(names) < 2:
        raise ReaderError("Une seule colonne trouvée : le séparateur n'est peut-être pas reconnu "
                          "(virgule, point-virgule, tabulation ou barre verticale), "
                          "ou le tableau n'a qu'une colonne ; il en faut au moins deux.")
    if len(names) > MAX_COLUMNS:
        raise ReaderError(f"Trop de colonnes ({len(names)}) : la limite est de {MAX_COLUMNS}.")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ReaderError("Noms de colonnes en double : " + ", ".join(f"« {n} »" for n in duplicated)
                          + ". Renommez-les pour que chaque colonne ait un nom unique.")
    text, trailing = _strip_trailing_separators(text, sep)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, skip_blank_lines=True,
                            names=names, header=0, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        detail = str(exc).splitlines()[-1] if str(exc) else type(exc).__name__
        raise ReaderError("Lecture du CSV impossible : les lignes n'ont pas toutes le même nombre "
                          f"de champs, ou des guillemets ne sont pas fermés. Détail : {detail}") from exc
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took the extra first fields for an index
        raise ReaderError(f"Les lignes de données ont plus de champs que l'en-tête ({len(names)} noms de "
                          "colonnes) : ajoutez les noms qui manquent à la première ligne.")
    if len(frame) < MIN_ROWS:
        raise ReaderError(f"Seulement {len(frame)} lignes de données : il en faut au moins {MIN_ROWS} "
                          "pour apprendre ce qui est « normal ».")
    notes = (f"Encodage : {encoding} ; séparateur : {SEPARATORS[sep]} ; "
             f"{len(frame)} lignes, {len(frame.columns)} colonnes.",)
    if trailing:
        notes += ("Chaque ligne de données finissait par un séparateur de plus que l'en-tête : il a été ignoré.",)
    return frame, notes


def _strip_trailing_separators(text: str, sep: str) -> tuple[str, bool]:
    """(text, True) with one trailing `sep` removed from every data line when all of them end with one and
    the header does not (a common spreadsheet export); else (text, False)."""
    lines = [line for line in text.splitlines() if line.strip()]
    data = lines[1:]
    if not data or lines[0].rstrip().endswith(sep) or not all(line.rstrip().endswith(sep) for line in data):
        return text, False
    return "\n".join([lines[0], *(line.rstrip()[:-len(sep)] for line in data)]), True


def _to_number(column: pd.Series) -> pd.Series | None:
    """Floats of a text column (decimal comma accepted, empty cells -> NaN), or None if not numeric."""
    text = column.astype(str).str.strip().str.replace(",", ".", regex=False)
    empty = text.isin(["", "nan", "NaN", "NA", "N/A", "null", "None"])
    values = pd.to_numeric(text.where(~empty), errors="coerce")
    if values[~empty].isna().any() or empty.all():
        return None
    return values.astype(float)


def prepare_table(frame: pd.DataFrame, label_column: str | None = None, notes: tuple[str, ...] = ()
                  ) -> Table:
    """Numeric columns of `frame` (label column excluded), repaired and standardised -> Table."""
    notes = list(notes)
    if label_column is not None and label_column not in frame.columns:
        raise ReaderError(f"La colonne d'étiquettes « {label_column} » n'existe pas dans ce fichier.")
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
        notes.append("Colonnes non numériques ignorées : " + ", ".join(f"« {n} »" for n in skipped) + ".")
    if dropped:
        notes.append("Colonnes constantes ou vides ignorées : " + ", ".join(f"« {n} »" for n in dropped) + ".")
    if not numeric:
        raise ReaderError("Aucune colonne numérique utilisable : il faut des nombres (le point ou la "
                          "virgule comme séparateur décimal) qui ne soient pas tous égaux.")
    if len(numeric) < 2:
        raise ReaderError(f"Une seule colonne numérique utilisable (« {next(iter(numeric))} ») : "
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
    """UTF-8 CSV of frame (N rows) plus columns score_anomalie (N,) and anomalie (1 when > threshold)."""
    out = frame.copy()
    out["score_anomalie"] = np.asarray(scores, dtype=float)
    out["anomalie"] = (out["score_anomalie"] > threshold).astype(int)
    return out.to_csv(index=False).encode("utf-8")


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


def read_image(data: bytes, image_shape: tuple[int, int, int], max_bytes: int = MAX_IMAGE_BYTES) -> torch.Tensor:
    """PNG/JPEG bytes -> (1, 1, H, W) float in [0, 1], light strokes on dark like the datasets.

    The work is bounded by the output, not the input: a JPEG is decoded at a reduced scale, any image
    is reduced to at most WORK_SIDE pixels a side before it is converted, and MAX_IMAGE_PIXELS and
    MAX_ASPECT refuse the rest. Then grey, inverted when the border is light, and to_dataset_image.
    Raises ReaderError.
    """
    from PIL import Image, UnidentifiedImageError

    if image_shape[0] != 1:
        raise ValueError(f"only grey datasets are supported, got image_shape {image_shape}")
    if len(data) > max_bytes:
        raise ReaderError(f"Image trop lourde ({len(data) / 1e6:.1f} Mo) : la limite est de "
                          f"{max_bytes / 1e6:.0f} Mo.".replace(".", ",", 1))
    limit = (f"la limite est de {MAX_IMAGE_PIXELS / 1e6:.0f} millions de pixels, un côté valant au plus "
             f"{MAX_ASPECT} fois l'autre.")
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # PIL's own, far larger limit
        raise ReaderError(f"Image trop grande : {limit}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ReaderError("Ce fichier n'est pas une image PNG ou JPEG lisible.") from exc
    if img.format not in ("PNG", "JPEG"):
        raise ReaderError(f"Format {img.format} non pris en charge : envoyez une image PNG ou JPEG.")
    w, h = img.size
    if w * h > MAX_IMAGE_PIXELS or max(w, h) > MAX_ASPECT * min(w, h):
        raise ReaderError(f"Image trop grande ou trop allongée ({w} × {h} pixels) : {limit}")
    if getattr(img, "is_animated", False):
        raise ReaderError("Image animée refusée : envoyez une image fixe.")
    if img.mode.startswith("I") or img.mode == "F" or (data[12:16] == b"IHDR" and data[24] == 16):
        raise ReaderError("Image en 16 bits par canal refusée : enregistrez-la en 8 bits.")
    if img.mode == "CMYK":
        raise ReaderError("Image CMJN (pour l'impression) refusée : convertissez-la en RVB ou en gris.")
    try:
        if img.format == "JPEG":
            img.draft(img.mode, (WORK_SIDE, WORK_SIDE))  # decode at 1/2, 1/4 or 1/8 of the size
        img.load()
        transparent = "A" in img.getbands() or "transparency" in img.info
        if img.mode not in ("L", "LA", "RGB", "RGBA"):  # palette or 1-bit: 4 bytes a pixel at most
            img = img.convert("RGBA" if transparent else "L")
        factor = max(1, max(img.size) // WORK_SIDE)
        if factor > 1:
            img = img.reduce(factor)
        if transparent:  # transparent pixels become white, as the page the learner drew on
            img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img.convert("RGBA"))
        grey = np.asarray(img.convert("L"), dtype=np.uint8)  # (h, w), at most WORK_SIDE a side
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise ReaderError("Image tronquée ou abîmée : impossible de la décoder.") from exc
    border = np.r_[grey[0], grey[-1], grey[:, 0], grey[:, -1]]
    if np.median(border) > 127:
        grey = 255 - grey
    return to_dataset_image(grey, image_shape)


def to_dataset_image(grey: np.ndarray, image_shape: tuple[int, int, int], ink: int = 51) -> torch.Tensor:
    """Light strokes on dark, uint8 (h, w) -> (1, 1, H, W) float in [0, 1], made as the dataset's own were.

    Images of 16 pixels or more follow MNIST: the ink's bounding box is scaled to fit a 20 x 20 box
    (of 28), aspect kept, and placed so that its centre of mass is the image's centre. Smaller ones
    follow scikit-learn's 8 x 8 digits: the bounding box is scaled to fill the frame, aspect kept,
    centred. Pixels above `ink` count as ink; an image without ink comes back black.
    """
    from PIL import Image

    _, h, w = image_shape
    canvas = np.zeros((h, w), dtype=np.float32)
    rows, cols = np.flatnonzero((grey > ink).any(1)), np.flatnonzero((grey > ink).any(0))
    if len(rows):
        crop = np.ascontiguousarray(grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
        mnist = min(h, w) >= 16
        box_h, box_w = (round(h * 20 / 28), round(w * 20 / 28)) if mnist else (h, w)
        scale = min(box_h / crop.shape[0], box_w / crop.shape[1])
        size = (max(1, min(box_w, round(crop.shape[1] * scale))), max(1, min(box_h, round(crop.shape[0] * scale))))
        small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255
        sh, sw = small.shape
        if mnist and small.sum() > 0:
            ys, xs = np.indices(small.shape)
            cy, cx = (ys * small).sum() / small.sum() + 0.5, (xs * small).sum() / small.sum() + 0.5
            top, left = round(h / 2 - cy), round(w / 2 - cx)
        else:
            top, left = (h - sh) // 2, (w - sw) // 2
        top, left = min(max(top, 0), h - sh), min(max(left, 0), w - sw)
        canvas[top:top + sh, left:left + sw] = small
    return torch.from_numpy(canvas).view(1, 1, h, w)
