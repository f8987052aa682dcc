"""ECG5000: 5,000 real heartbeats of 140 samples from the UCR/UEA archive, with the archive's own split.

The beats come from record chf07 of the BIDMC Congestive Heart Failure Database (PhysioNet), one patient
with severe heart failure; each beat was cut out, stretched to 140 samples and z-normalised by the archive
(mean 0, standard deviation 1 with ddof=1: checked on the 500 training beats). The class labels, obtained by
automated annotation, are 1 to 5 in the archive's description: normal; R-on-T premature ventricular
contraction; premature ventricular contraction; supraventricular premature or ectopic beat; unclassified
beat. The archive's split is 500 training beats (292, 177, 10, 19 and 2 of each class), then 4,500 test beats.

The zip at URL (aeon's address for the archive) holds, as its copies show, ECG5000_TRAIN.txt and
ECG5000_TEST.txt (plus .arff and .ts copies, not used): one beat a line, 141 numbers written "%16.7e" (the
class as a float, then the 140 samples).

Checksums. timeseriesclassification.com could not be reached when this module was written, so the values
in FILES come from copies of the archive's text files in public GitHub repositories, not from the archive:
- ECG5000_TRAIN.txt: 1,128,500 bytes, SHA-256 and git blob id computed on the file at
  sushantsk1/DL, ECG5000_TRAIN.txt, commit ba8fc49832fe4919a83e1e73525c3581cfef0600; the same blob id
  7f0d711c… is in nina-prog/sem-data-analysis-VAE, ECG5000/ECG5000_TRAIN.txt, commit
  9881676c55e4422047db17d5dd683cc0514a950a (uploaded in 2020 with the zip's .arff and .ts files).
- ECG5000_TEST.txt: its bytes could not be read from any mirror (too large for the copies available), so
  only its git blob id is known: 305ae1c5…, the same in both repositories' trees at those commits; its size,
  10,156,500 bytes (4,500 lines of 2,257), was read in the repository
  slowman26/Temporal-Convolutional-Network-acceleration-with-FINN, datasets/ECG5000/ECG5000_TEST.txt,
  commit 4d8053fea114eaec71d4a67e1e141126b3a85d3b.
A git blob id is SHA-1(b"blob <size>\\0" + content), which `git hash-object FILE` prints. Copies of these files
circulate with both LF and CRLF line endings (sushantsk1/DL's first commit, 3d8551a8, holds CRLF ones), so
every check is made on the content with LF endings.

Only a download is checked against FILES; files a learner puts in the folder by hand are read by the strict
reader and must hold 500 and 4,500 beats.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import Dataset, DatasetUnavailable, default_data_dir
from .errors import quote
from .readers import ReaderError

URL = "https://www.timeseriesclassification.com/aeon-toolkit/ECG5000.zip"
FOLDER = "ECG5000"  # under default_data_dir() (AE_DATA_DIR)
BEAT_LENGTH = 140  # samples per beat
CLASS_NAMES = ("Normal", "Extrasystole ventriculaire R sur T", "Extrasystole ventriculaire",
               "Extrasystole supraventriculaire ou ectopique", "Battement non classé")
# The zip also holds .arff and .ts copies of both files: about 27 MB uncompressed in all (estimated from the
# training files' sizes), so 40 MB bounds even a zip that stores everything uncompressed.
MAX_DOWNLOAD_BYTES = 40 * 1024 * 1024
TIMEOUT_S = 30.0  # per connection attempt or read
DEADLINE_S = 600.0  # the whole download
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ArchiveFile:
    """One text file of the archive: its name, how many beats it holds, and its content's checksums
    (size, git blob id, SHA-256 where the bytes could be read), all taken with LF line endings."""

    name: str
    rows: int
    size: int
    git_sha1: str
    sha256: str | None = None


FILES = (
    ArchiveFile("ECG5000_TRAIN.txt", 500, 1_128_500, "7f0d711c984c79616e09a430dbd2c5d89fed2416",
                "0d96aff193311a6dc6111bf0dbd2f7d2313987fbf7a1da4a383d92563876057b"),
    ArchiveFile("ECG5000_TEST.txt", 4_500, 10_156_500, "305ae1c597012624060310dbc529484767b2b2e3"),
)


def read_ucr(text: bytes | str) -> tuple[np.ndarray, np.ndarray]:
    """Beats (N, 140) float32 and labels (N,) int64 0..4 of a file in the archive's text format
    (archive class k -> label k - 1); any other content raises ReaderError with a French message."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ReaderError("Ce fichier contient autre chose que des nombres en texte\u202f: ce n'est pas "
                              "un fichier de l'archive ECG5000.") from exc
    rows = [(i, line.split()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not rows:
        raise ReaderError("Le fichier est vide\u202f: il doit contenir un battement par ligne.")
    for i, tokens in rows:
        if len(tokens) != 1 + BEAT_LENGTH:
            raise ReaderError(f"Ligne {i}\u202f: {len(tokens)} valeurs au lieu de {1 + BEAT_LENGTH} "
                              f"(la classe, puis les {BEAT_LENGTH} échantillons du battement).")
    try:
        table = np.array([tokens for _, tokens in rows], dtype=np.float64)  # (N, 141)
    except ValueError:
        i, j, token = next((i, j, t) for i, tokens in rows for j, t in enumerate(tokens, 1) if not _is_number(t))
        raise ReaderError(f"Ligne {i}, colonne {j}\u202f: «\u202f{quote(token)}\u202f» n'est pas un nombre.") from None
    bad = ~np.isfinite(table)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ReaderError(f"Ligne {rows[r][0]}, colonne {c + 1}\u202f: valeur manquante ou infinie "
                          f"(«\u202f{quote(rows[r][1][c])}\u202f»).")
    classes = table[:, 0]
    bad = (classes != np.round(classes)) | (classes < 1) | (classes > len(CLASS_NAMES))
    if bad.any():
        r = int(np.argmax(bad))
        raise ReaderError(f"Ligne {rows[r][0]}\u202f: classe {quote(rows[r][1][0])} inconnue (l'archive "
                          f"numérote ses classes de 1 à {len(CLASS_NAMES)}).")
    return table[:, 1:].astype(np.float32), classes.astype(np.int64) - 1


def load_ecg5000(data_dir: str | Path | None = None, download: bool = True) -> Dataset:
    """ECG5000 as a Dataset 'ecg5000': beats (5000, 1, 1, 140) float32 in units of the training beats' standard
    deviation (like ae_core.beats.beat_dataset), labels 0..4 indexing CLASS_NAMES, the 500 training beats
    first (n_train=500). Read from data_dir/ECG5000 (default_data_dir() when None), downloaded there once
    when missing and `download`; DatasetUnavailable with a French message when that cannot be done."""
    folder = (Path(data_dir) if data_dir else default_data_dir()) / FOLDER
    paths = [folder / f.name for f in FILES]
    if all(p.is_file() for p in paths):
        parts = [_read_placed(p, f) for p, f in zip(paths, FILES)]
    elif download:
        parts = _download(folder)
    else:
        raise DatasetUnavailable(f"Le jeu ECG5000 n'est pas encore sur cet ordinateur\u202f: {_by_hand(folder)}")
    return _as_dataset(parts)


def _as_dataset(parts: list[tuple[np.ndarray, np.ndarray]]) -> Dataset:
    (train, train_labels), (test, test_labels) = parts
    scale = float(train.std(dtype=np.float64))
    if not scale > 0:
        raise DatasetUnavailable("Les battements d'entraînement d'ECG5000 sont tous constants\u202f: "
                                 "ce ne sont pas ceux de l'archive.")
    beats = (np.concatenate([train, test]) / scale).astype(np.float32)
    labels = torch.from_numpy(np.concatenate([train_labels, test_labels]))
    return Dataset("ecg5000", torch.from_numpy(beats).view(len(beats), 1, 1, -1),  # (N, 1, 1, 140)
                   labels, CLASS_NAMES, len(train))


def _by_hand(folder: Path) -> str:
    """The French sentence that says where a learner can put the files without a download."""
    names = " et ".join(f"«\u202f{f.name}\u202f»" for f in FILES)
    return (f"placez les fichiers {names} de l'archive {URL} dans le dossier «\u202f{folder}\u202f» "
            f"(variable d'environnement AE_DATA_DIR), puis réessayez.")


def _read_placed(path: Path, expected: ArchiveFile) -> tuple[np.ndarray, np.ndarray]:
    """A file already in the folder (downloaded or put there by hand), read strictly."""
    try:
        if path.stat().st_size > 2 * expected.size:
            raise ReaderError("Il est bien plus gros que le fichier de l'archive.")
        return _parse(path.read_bytes(), expected)
    except (OSError, ReaderError) as exc:
        raise DatasetUnavailable(f"Le fichier «\u202f{path}\u202f» ne peut pas servir\u202f: {exc} Supprimez-le "
                                 f"pour le télécharger à nouveau, ou remplacez-le par celui de l'archive.") from exc


def _parse(data: bytes, expected: ArchiveFile) -> tuple[np.ndarray, np.ndarray]:
    beats, labels = read_ucr(data)
    if len(beats) != expected.rows:
        raise ReaderError(f"Il contient {len(beats)} battements au lieu de {expected.rows}.")
    return beats, labels


def _download(folder: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fetch the zip into a temporary file of `folder`, check and read both text files, then move them in
    place; nothing is left in the folder when any step fails."""
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".ECG5000-", suffix=".zip.part")
        with os.fdopen(fd, "wb") as out:
            _fetch(URL, out)
        contents = _extract(Path(tmp))
    except (OSError, http.client.HTTPException, zipfile.BadZipFile, zlib.error, EOFError,
            NotImplementedError) as exc:
        raise DatasetUnavailable(f"Impossible de télécharger le jeu ECG5000 (pas d'accès réseau\u202f?)\u202f: "
                                 f"{_by_hand(folder)}") from exc
    except _TooLarge:
        limit = MAX_DOWNLOAD_BYTES // 2**20
        raise DatasetUnavailable(f"Le téléchargement d'ECG5000 dépasse {limit}\u00a0Mo et a été interrompu (ce "
                                 f"n'est pas le fichier attendu)\u202f: {_by_hand(folder)}") from None
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    parts = []
    for f in FILES:
        if not _matches(contents[f.name], f):
            raise DatasetUnavailable(f"Le fichier «\u202f{f.name}\u202f» téléchargé ne correspond pas à celui "
                                     f"de l'archive (somme de contrôle différente) et n'a pas été gardé. "
                                     f"Réessayez plus tard, ou {_by_hand(folder)}")
        try:
            parts.append(_parse(contents[f.name], f))
        except ReaderError as exc:
            raise DatasetUnavailable(f"Le fichier «\u202f{f.name}\u202f» téléchargé est illisible\u202f: {exc} "
                                     f"Il n'a pas été gardé.") from exc
    for f in FILES:
        _install(folder / f.name, contents[f.name])
    return parts


def _fetch(url: str, out) -> None:
    """Stream `url` into the open file `out`; _TooLarge past MAX_DOWNLOAD_BYTES, announced or received."""
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > MAX_DOWNLOAD_BYTES:
            raise _TooLarge
        received = 0
        while chunk := response.read(CHUNK_BYTES):
            received += len(chunk)
            if received > MAX_DOWNLOAD_BYTES:
                raise _TooLarge
            if time.monotonic() - start > DEADLINE_S:
                raise TimeoutError(f"download slower than {DEADLINE_S} s")
            out.write(chunk)


class _TooLarge(Exception):
    """The server sends more than MAX_DOWNLOAD_BYTES."""


def _extract(zip_path: Path) -> dict[str, bytes]:
    """{name: content with LF line endings} of each file of FILES in the zip, wherever it lies in it;
    a member larger than its file (with CRLF endings) is not read."""
    contents = {}
    with zipfile.ZipFile(zip_path) as archive:
        members = {Path(info.filename).name: info for info in archive.infolist() if not info.is_dir()}
        for f in FILES:
            info = members.get(f.name)
            limit = f.size + f.rows  # one CR a line at most
            if info is None or info.file_size > limit:
                contents[f.name] = b""  # fails _matches: reported as a checksum mismatch
                continue
            with archive.open(info) as member:
                contents[f.name] = member.read(limit + 1).replace(b"\r\n", b"\n")
    return contents


def _matches(data: bytes, expected: ArchiveFile) -> bool:
    """Whether `data` (LF line endings) has the size, git blob id and, where known, SHA-256 of `expected`."""
    git_sha1 = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return (len(data) == expected.size and git_sha1 == expected.git_sha1
            and (expected.sha256 is None or hashlib.sha256(data).hexdigest() == expected.sha256))


def _install(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file of the same folder, so `path` is whole or absent."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DatasetUnavailable(f"Impossible d'écrire «\u202f{path}\u202f» ({exc.strerror})\u202f: "
                                 f"vérifiez l'espace libre et les droits du dossier.") from exc


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
