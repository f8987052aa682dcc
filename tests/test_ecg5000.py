"""ECG5000 (ae_core.ecg5000): the archive's text format read strictly, and a bounded, checked download that
caches its files or leaves nothing behind. Everything is offline: a local HTTP server serves small zips built
here, and the module's address and checksums point at them."""

import dataclasses
import hashlib
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import numpy as np
import pytest
import torch

from ae_core import ecg5000
from ae_core.data import DatasetUnavailable
from ae_core.ecg5000 import CLASS_NAMES, ArchiveFile, load_ecg5000, read_ucr
from ae_core.readers import ReaderError
from tests.conftest import assert_french_error

L = ecg5000.BEAT_LENGTH


def beats(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n z-normalised beats (n, L) like the archive's, and archive classes 1..5 (each one at least once)."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=(n, L)), axis=1)
    x = (x - x.mean(1, keepdims=True)) / x.std(1, ddof=1, keepdims=True)
    return x, 1 + np.arange(n) % 5


def ucr_text(x: np.ndarray, classes: np.ndarray, newline: str = "\n") -> str:
    """The archive's text format: each number written '%16.7e', the class first."""
    return "".join("".join(f"{v:16.7e}" for v in (c, *row)) + newline for c, row in zip(classes, x))


TRAIN, TEST = beats(6, seed=1), beats(9, seed=2)
TRAIN_TXT, TEST_TXT = ucr_text(*TRAIN).encode(), ucr_text(*TEST).encode()


def archive_file(name: str, content: bytes, rows: int) -> ArchiveFile:
    """What FILES holds for `content`, its checksums computed here (the git blob id as `git hash-object`)."""
    return ArchiveFile(name, rows, len(content), hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest(),
                       hashlib.sha256(content).hexdigest())


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


GOOD_ZIP = zipped({"ECG5000_TRAIN.txt": TRAIN_TXT, "ECG5000_TEST.txt": TEST_TXT,
                   "ECG5000_TRAIN.arff": b"@relation ECG5000\n"})


class Server:
    """A local HTTP server: GET /ECG5000.zip answers `body` with a Content-Length of `length` (None: no
    header; "body": the body's true length)."""

    def __init__(self):
        self.body, self.length, self.requests = GOOD_ZIP, "body", 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                if self.path != "/ECG5000.zip":
                    self.send_error(404)
                    return
                self.send_response(200)
                if server.length is not None:
                    length = len(server.body) if server.length == "body" else server.length
                    self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    self.wfile.write(server.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client refused the rest

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/ECG5000.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


@pytest.fixture
def server(monkeypatch):
    """The module pointed at a local server serving GOOD_ZIP, with FILES made for its two small files."""
    s = Server()
    monkeypatch.setattr(ecg5000, "URL", s.url)
    monkeypatch.setattr(ecg5000, "FILES", (archive_file("ECG5000_TRAIN.txt", TRAIN_TXT, 6),
                                           archive_file("ECG5000_TEST.txt", TEST_TXT, 9)))
    yield s
    s.stop()


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the reader ------------------------------------------------------------------------------------

@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_the_reader_gives_beats_and_labels_from_0(tmp_path, newline):
    path = tmp_path / "ECG5000_TRAIN.txt"
    path.write_bytes(ucr_text(*TRAIN, newline=newline).encode() + b"\n")  # a trailing empty line is allowed
    x, labels = read_ucr(path.read_bytes())
    assert x.shape == (6, L) and x.dtype == np.float32
    assert labels.dtype == np.int64 and labels.tolist() == (TRAIN[1] - 1).tolist()
    np.testing.assert_allclose(x, TRAIN[0], rtol=1e-6, atol=1e-7)  # '%16.7e' keeps 8 significant digits
    x_str, labels_str = read_ucr(path.read_text())
    assert np.array_equal(x_str, x) and np.array_equal(labels_str, labels)


def test_the_archive_beats_are_z_normalised_and_the_class_names_are_french():
    x, _ = read_ucr(TRAIN_TXT)
    np.testing.assert_allclose(x.std(1, ddof=1), 1.0, atol=1e-5)  # as the archive's (checked on its 500)
    assert len(CLASS_NAMES) == 5 and CLASS_NAMES[0] == "Normal"
    assert "R sur T" in CLASS_NAMES[1] and "supraventriculaire" in CLASS_NAMES[3]


def with_field(line: int, column: int, new: str | None) -> bytes:
    """TRAIN_TXT with field `column` (1: the class) of `line` replaced by `new`, or removed when None."""
    lines = TRAIN_TXT.decode().splitlines()
    fields = lines[line - 1].split()
    if new is None:
        del fields[column - 1]
    else:
        fields[column - 1] = new
    lines[line - 1] = "  ".join(fields)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("content, words", [
    (b"", ["vide"]),
    (b"\xff\xfe1.0", ["texte"]),
    (with_field(2, 5, None), ["ligne 2", "140 valeurs au lieu de 141"]),
    (with_field(2, 5, "0.5  0.5"), ["ligne 2", "142 valeurs"]),
    (with_field(3, 1, "7.0000000e+00"), ["ligne 3", "classe 7.0000000e+00 inconnue", "1 à 5"]),
    (with_field(1, 1, "0.0000000e+00"), ["ligne 1", "classe 0.0000000e+00 inconnue"]),
    (with_field(1, 1, "2.5000000e+00"), ["ligne 1", "classe 2.5000000e+00"]),
    (with_field(2, 2, "NaN"), ["ligne 2, colonne 2", "manquante", "«\u202fnan\u202f»"]),
    (with_field(2, 9, "inf"), ["ligne 2, colonne 9", "infinie"]),
    (with_field(4, 2, "1,5e-01"), ["ligne 4, colonne 2", "«\u202f1,5e-01\u202f» n'est pas un nombre"]),
], ids=["empty", "binary", "139-samples", "141-samples", "class-7", "class-0", "class-2.5", "nan", "inf", "comma"])
def test_the_reader_rejects_bad_content_in_french(content, words):
    with pytest.raises(ReaderError) as exc_info:
        read_ucr(content)
    assert_french_error(exc_info, *words)


# --- load and download -----------------------------------------------------------------------------

def test_a_download_is_cached_in_AE_DATA_DIR_and_read_again_offline(server, tmp_path, monkeypatch):
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    data = load_ecg5000()
    assert server.requests == 1
    assert data.name == "ecg5000" and data.class_names == CLASS_NAMES and data.n_train == 6
    assert data.images.shape == (15, 1, 1, L) and data.images.dtype == torch.float32
    assert data.labels.dtype == torch.int64
    assert data.labels.tolist() == (np.concatenate([TRAIN[1], TEST[1]]) - 1).tolist()  # archive class k -> k - 1
    scale = float(read_ucr(TRAIN_TXT)[0].std(dtype=np.float64))  # training beats first, then test beats
    expected = np.concatenate([read_ucr(TRAIN_TXT)[0], read_ucr(TEST_TXT)[0]]) / scale
    np.testing.assert_allclose(data.images.flatten(1).numpy(), expected, rtol=1e-6)
    assert data.images[:6].std(correction=0).item() == pytest.approx(1.0, abs=1e-5)
    folder = tmp_path / "ECG5000"
    assert files_in(folder) == ["ECG5000_TEST.txt", "ECG5000_TRAIN.txt"]  # no zip, no .arff, no temporary file
    assert (folder / "ECG5000_TEST.txt").read_bytes() == TEST_TXT
    server.stop()
    again = load_ecg5000(download=False)
    assert torch.equal(again.images, data.images) and torch.equal(again.labels, data.labels)
    assert torch.equal(load_ecg5000(tmp_path).images, data.images)  # data_dir given: the same folder


def test_files_in_a_folder_of_the_zip_with_crlf_endings_are_found_and_stored_with_lf(server, tmp_path):
    server.body = zipped({"ECG5000/ECG5000_TRAIN.txt": TRAIN_TXT.replace(b"\n", b"\r\n"),
                          "ECG5000/ECG5000_TEST.txt": TEST_TXT.replace(b"\n", b"\r\n")})
    assert load_ecg5000(tmp_path).images.shape == (15, 1, 1, L)
    assert (tmp_path / "ECG5000" / "ECG5000_TRAIN.txt").read_bytes() == TRAIN_TXT


def _flip_one_digit(content: bytes) -> bytes:
    i = content.index(b"e-01") - 1
    return content[:i] + (b"1" if content[i:i + 1] != b"1" else b"2") + content[i + 1:]


@pytest.mark.parametrize("change", ["content", "git_sha1", "sha256", "missing"])
def test_a_checksum_mismatch_keeps_nothing_and_says_where_to_put_the_files(server, tmp_path, monkeypatch, change):
    train, test = ecg5000.FILES
    if change == "content":  # same size, one digit changed: only the hashes can tell
        server.body = zipped({"ECG5000_TRAIN.txt": TRAIN_TXT, "ECG5000_TEST.txt": _flip_one_digit(TEST_TXT)})
    elif change == "missing":
        server.body = zipped({"ECG5000_TRAIN.txt": TRAIN_TXT})
    else:
        monkeypatch.setattr(ecg5000, "FILES", (train, dataclasses.replace(test, **{change: "0" * 40})))
    with pytest.raises(DatasetUnavailable) as exc_info:
        load_ecg5000(tmp_path)
    folder = tmp_path / "ECG5000"
    assert_french_error(exc_info, "«\u202fecg5000_test.txt\u202f»", "ne correspond pas", "n'a pas été gardé",
                        "«\u202fecg5000_train.txt\u202f»", str(folder).lower(), "ae_data_dir")
    assert files_in(folder) == []


def test_content_that_passes_the_checksums_but_not_the_reader_is_not_kept(server, tmp_path, monkeypatch):
    bad_test = with_field(3, 1, "7.0000000e+00")  # the training file with a class 7
    server.body = zipped({"ECG5000_TRAIN.txt": TRAIN_TXT, "ECG5000_TEST.txt": bad_test})
    monkeypatch.setattr(ecg5000, "FILES", (ecg5000.FILES[0], archive_file("ECG5000_TEST.txt", bad_test, 6)))
    with pytest.raises(DatasetUnavailable) as exc_info:
        load_ecg5000(tmp_path)
    assert_french_error(exc_info, "illisible", "ligne 3", "classe 7", "n'a pas été gardé")
    assert files_in(tmp_path / "ECG5000") == []


@pytest.mark.parametrize("where", ["closed-port", "404", "not-a-zip"])
def test_an_unreachable_or_wrong_address_raises_dataset_unavailable(server, tmp_path, monkeypatch, where):
    if where == "closed-port":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        monkeypatch.setattr(ecg5000, "URL", f"http://127.0.0.1:{port}/ECG5000.zip")  # nobody listens there
    elif where == "404":
        monkeypatch.setattr(ecg5000, "URL", server.url.replace("ECG5000.zip", "absent.zip"))
    else:
        server.body = b"<html>Maintenance</html>"
    with pytest.raises(DatasetUnavailable) as exc_info:
        load_ecg5000(tmp_path)
    assert_french_error(exc_info, "impossible de télécharger", "réseau", "ecg5000_train.txt", "ecg5000_test.txt",
                        str(tmp_path / "ECG5000").lower())
    assert files_in(tmp_path / "ECG5000") == []


@pytest.mark.parametrize("announced", [True, False], ids=["announced", "streamed"])
def test_a_download_larger_than_the_limit_is_refused(server, tmp_path, monkeypatch, announced):
    if announced:  # the header alone is refused, before any byte is read (reading would find the body short)
        server.length, limit = len(GOOD_ZIP) + 1, len(GOOD_ZIP)
    else:  # no header: counted while streaming
        server.length, limit = None, len(GOOD_ZIP) - 1
    monkeypatch.setattr(ecg5000, "MAX_DOWNLOAD_BYTES", limit)
    with pytest.raises(DatasetUnavailable) as exc_info:
        load_ecg5000(tmp_path)
    assert_french_error(exc_info, "dépasse", "interrompu", "ecg5000_test.txt")
    assert files_in(tmp_path / "ECG5000") == []
    server.length = "body" if announced else None
    monkeypatch.setattr(ecg5000, "MAX_DOWNLOAD_BYTES", len(GOOD_ZIP))  # exactly the limit is accepted
    assert load_ecg5000(tmp_path).n_train == 6


def test_without_download_and_without_files_the_message_says_where_to_put_them(server, tmp_path):
    with pytest.raises(DatasetUnavailable) as exc_info:
        load_ecg5000(tmp_path, download=False)
    folder = tmp_path / "ECG5000"
    assert_french_error(exc_info, "pas encore sur cet ordinateur", "«\u202fecg5000_train.txt\u202f»",
                        "«\u202fecg5000_test.txt\u202f»", f"«\u202f{folder}\u202f»".lower(), "ae_data_dir")
    assert server.requests == 0 and not folder.exists()


@pytest.mark.parametrize("test_txt, words", [
    (with_field(3, 1, "7.0000000e+00"), ["ligne 3", "classe 7"]),  # and 6 rows, not 9
    (ucr_text(TEST[0][:8], TEST[1][:8]).encode(), ["8 battements au lieu de 9"]),
], ids=["class-7", "a-beat-short"])
def test_files_put_by_hand_are_read_strictly(server, tmp_path, test_txt, words):
    folder = tmp_path / "ECG5000"
    folder.mkdir()
    (folder / "ECG5000_TRAIN.txt").write_bytes(TRAIN_TXT)
    (folder / "ECG5000_TEST.txt").write_bytes(test_txt)
    with pytest.raises(DatasetUnavailable) as exc_info:
        load_ecg5000(tmp_path)
    assert_french_error(exc_info, str(folder / "ECG5000_TEST.txt").lower(), "supprimez-le", *words)
    assert server.requests == 0  # a file on disk is never replaced behind the learner's back
