"""« La classe en direct »: séances a teacher opens and learners join, kept in memory or in Redis. No Streamlit.

A teacher opens a séance and gets a code of six letters to read aloud and a long random secret; learners
join with the code and a pseudonym, answer questions and post experiment results; with the secret, and
only with it, the teacher reads the board, sets the class experiment, exports a CSV and closes the
séance. A learner-side call takes the opaque learner id that `join` returned and gives back that
learner's own data only: no call shows a learner anything of another.

What is stored: pseudonyms, answers (a choice index per question), experiment results (named floats),
the class experiment's settings, and times; no IP address, no free text but the pseudonym, and of the
browser's token only a hash (to give a reload its learner back and to count its wrong codes). A
pseudonym is stored and returned as the text the learner typed, cleaned (`clean_pseudonym`): it may
hold HTML, JavaScript or Markdown, which the UI must show as inert text, never render.

Where: `MemoryBackend` (the default) keeps JSON values in this process, for one server; with
AE_REDIS_URL set, `RedisBackend` keeps them in Redis, shared by several app servers. Every bound is
enforced here, never left to Redis's eviction. Keys:

- ``ae:seance:<CODE>``: the séance as JSON, expiring MAX_AGE_S (12 h) after its last event;
- ``ae:seances``: the index, code -> opening time, at most MAX_SEANCES codes; no expiry, since it must
  outlive every séance: codes whose séance expired are pruned at each opening, and an empty index is deleted;
- ``ae:tries``: recent wrong codes per browser hash, expiring TRIES_WINDOW_S after the last one.

Each read-modify-write is one transaction: under the lock in memory, WATCH/MULTI in Redis (retried when
another server wrote a watched key in between). The memory backend sweeps expired keys on every access.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from ae_core.errors import LearnerError
from runner.store import MemoryBackend, RedisBackend, Writes

ALPHABET = "ABCDEFGHJKMNPRSTUVWXYZ"  # no I, L (1), O, Q (0): a code read aloud or copied from a board
CODE_LENGTH = 6
MAX_AGE_S = 12 * 3600  # a school day after the last event
MAX_SEANCES = 200
MAX_LEARNERS = 60
MAX_PSEUDONYM = 24  # characters
MAX_QUESTIONS = 300  # distinct questions answered in one séance
MAX_CHOICES = 32  # a choice is an index 0 … MAX_CHOICES - 1
MAX_EXPERIMENTS = 40  # distinct experiments with results in one séance (the class's, each prediction's outcome)
MAX_VALUES = 16  # named values in one result
MAX_ABS_VALUE = 1e12
MAX_SETTINGS = 60
MAX_SETTINGS_BYTES = 4096
TRIES_WINDOW_S = 600
MAX_WRONG_CODES = 10  # per browser token and TRIES_WINDOW_S
MAX_WRONG_SECRETS = 20  # per séance and TRIES_WINDOW_S
MAX_BROWSERS_TRIED = 2000  # browsers whose wrong codes are remembered; the oldest are forgotten first

INDEX, TRIES = "ae:seances", "ae:tries"
KEY = re.compile(r"[a-z0-9_]{1,32}(:[a-z0-9_]{1,32})?")  # a question ("entrainer:3"), an experiment, a value name

UNKNOWN_CODE = ("Ce code de séance est inconnu, ou la séance est fermée. Vérifiez les six lettres auprès de "
                "votre enseignant.")
TOO_MANY_CODES = ("Trop d'essais de code depuis ce navigateur\u202f: attendez 10\u00a0minutes, puis vérifiez le "
                  "code auprès de votre enseignant.")
NO_PSEUDONYM = "Choisissez un pseudonyme\u202f: il suffit, votre nom n'est pas demandé."
FULL = (f"Cette séance est complète ({MAX_LEARNERS} participants au plus)\u202f: demandez à votre enseignant "
        "d'en ouvrir une autre.")
GONE = ("Vous ne faites plus partie de cette séance (elle est peut-être fermée)\u202f: rejoignez-la avec son "
        "code si elle est encore ouverte.")
TOO_MANY_SEANCES = (f"Trop de séances sont ouvertes sur ce serveur ({MAX_SEANCES})\u202f: fermez une séance "
                    "terminée ou réessayez plus tard.")
BAD_TEACHER = ("Ce lien d'enseignant n'est pas valide (séance fermée, ou secret erroné)\u202f: rouvrez le lien "
               "donné à l'ouverture de la séance.")
TOO_MANY_SECRETS = ("Trop d'essais de lien d'enseignant pour cette séance\u202f: attendez 10\u00a0minutes avant "
                    "de réessayer.")
TOO_MANY_QUESTIONS = f"Cette séance a déjà reçu des réponses à {MAX_QUESTIONS} questions différentes, le maximum."
TOO_MANY_EXPERIMENTS = f"Cette séance a déjà reçu les résultats de {MAX_EXPERIMENTS} expériences, le maximum."

class SeanceError(LearnerError):
    """A séance refused something: unknown code, full, wrong secret, too many tries; the message is French."""


@dataclass
class Board:
    """What the teacher sees of a séance, at one moment: pseudonyms only, in join order."""

    code: str
    pseudonyms: list[str]
    answers: dict[str, dict[int, list[str]]]  # question -> choice -> who chose it (their last answer)
    results: dict[str, list[tuple[str, dict[str, float]]]]  # experiment -> (pseudonym, its last result)
    experiment: str | None  # the class experiment's name, and its settings spread over the learners
    settings: list
    opened: float
    last_event: float

    def counts(self, question: str) -> dict[int, int]:
        """Number of learners per choice of `question`."""
        return {choice: len(names) for choice, names in self.answers.get(question, {}).items()}


def clean_pseudonym(text: str) -> str:
    """`text` as a pseudonym: control and invisible characters removed, white space collapsed, at most
    MAX_PSEUDONYM characters; still any other text (HTML, Markdown…), to be shown inert."""
    text = unicodedata.normalize("NFC", str(text)[:40 * MAX_PSEUDONYM])
    text = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    return " ".join(text.split())[:MAX_PSEUDONYM].strip()


def _digest(browser: str) -> str:
    if not isinstance(browser, str) or not 0 < len(browser) <= 128:
        raise ValueError("browser must be the browser's token")
    return hashlib.sha256(browser.encode()).hexdigest()[:32]


def normal_code(code: str) -> str:
    """The code as typed, in capitals without spaces or dashes; "" when it cannot be one."""
    code = re.sub(r"[\s-]", "", str(code)[:40]).upper()
    return code if len(code) == CODE_LENGTH and all(c in ALPHABET for c in code) else ""


def _recent(times: list[float], now: float) -> list[float]:
    return [t for t in times if now - t < TRIES_WINDOW_S]


def _key(code: str) -> str:
    return f"ae:seance:{code}"


class Seances:
    """Séances in one backend; `clock` gives the time (a test sets it)."""

    def __init__(self, backend: MemoryBackend | RedisBackend | None = None, clock: Callable[[], float] = time.time):
        self.backend = backend or MemoryBackend()
        self.clock = clock

    # The teacher's side: open, then everything else with the secret.

    def open(self) -> tuple[str, str]:
        """A new séance: (code to read aloud, the teacher's secret)."""
        now = self.clock()
        index = self.backend.get(INDEX, now) or {}
        gone = {c for c, alive in zip(index, self.backend.exists([_key(c) for c in index], now)) if not alive}
        if gone:  # expired séances free their place (a gone séance never comes back under its code)
            self.backend.transact([INDEX], lambda old: (_index_without(old[0], gone), None), now)
        for _ in range(100):  # 22^6 codes for at most 200 séances: a collision is rare, two in a row rarer
            code, secret = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)), secrets.token_urlsafe(32)

            def create(old, code=code, secret=secret):
                index, seance = old[0] or {}, old[1]
                if code in index or seance is not None:
                    return {}, False
                if len(index) >= MAX_SEANCES:
                    raise SeanceError(TOO_MANY_SEANCES)
                seance = {"secret": secret, "opened": now, "last": now, "learners": [], "answers": {},
                          "results": {}, "experiment": None, "settings": [], "wrong_secrets": []}
                return {INDEX: ({**index, code: now}, None), _key(code): (seance, MAX_AGE_S)}, True

            if self.backend.transact([INDEX, _key(code)], create, now):
                return code, secret
        raise RuntimeError("no free séance code after 100 draws")

    def board(self, code: str, secret: str) -> Board:
        """The séance as the teacher sees it."""
        seance, code = self._teacher(code, secret), normal_code(code)
        names = [learner["name"] for learner in seance["learners"]]
        answers = {q: {c: [names[i] for i, a in enumerate(row) if a == c] for c in sorted(set(row) - {None})}
                   for q, row in seance["answers"].items()}
        results = {e: [(names[i], r) for i, r in enumerate(row) if r is not None]
                   for e, row in seance["results"].items()}
        return Board(code, names, answers, results, seance["experiment"], seance["settings"], seance["opened"],
                     seance["last"])

    def set_experiment(self, code: str, secret: str, name: str, settings: list) -> None:
        """Make `name` the class experiment: learner i in join order gets settings[i % len(settings)]."""
        self._teacher(code, secret)
        if not KEY.fullmatch(str(name)) or not isinstance(settings, list) or not 0 < len(settings) <= MAX_SETTINGS:
            raise ValueError(f"bad experiment {name!r} or settings (1 to {MAX_SETTINGS})")
        if len(json.dumps(settings, allow_nan=False)) > MAX_SETTINGS_BYTES:
            raise ValueError(f"settings over {MAX_SETTINGS_BYTES} bytes")

        def change(seance):
            seance["experiment"], seance["settings"] = name, settings

        self._event(code, None, change)

    def close(self, code: str, secret: str) -> None:
        """Delete everything of the séance."""
        self._teacher(code, secret)
        code = normal_code(code)
        self.backend.transact([INDEX, _key(code)],
                              lambda old: ({**_index_without(old[0], {code}), _key(code): None}, None), self.clock())

    def export_csv(self, code: str, secret: str) -> bytes:
        """UTF-8 CSV (with a BOM, for spreadsheets): one row per answer (its choice index) and per value of a
        result. A cell that a spreadsheet would read as a formula starts with an apostrophe."""
        board = self.board(code, secret)
        rows = [["pseudonyme", "type", "question ou expérience", "grandeur", "valeur"]]
        rows += [[name, "réponse", q, "choix", choice] for q, choices in board.answers.items()
                 for choice, names in choices.items() for name in names]
        rows += [[name, "résultat", e, k, f"{v:.10g}"] for e, row in board.results.items() for name, values in row
                 for k, v in values.items()]
        out = io.StringIO()
        csv.writer(out).writerows([[_inert(cell) for cell in row] for row in rows])
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    # The learner's side: join, then their own events and their own data only.

    def join(self, code: str, pseudonym: str, browser: str) -> str:
        """Join the séance `code` from `browser` (the browser's token); the learner id. The same browser joining
        again (a reload) gets its learner back; an identical pseudonym gets a number: « Léa (2) »."""
        now, digest = self.clock(), _digest(browser)
        if len(_recent((self.backend.get(TRIES, now) or {}).get(digest, []), now)) >= MAX_WRONG_CODES:
            raise SeanceError(TOO_MANY_CODES)
        name, code = clean_pseudonym(pseudonym), normal_code(code)
        if not name:
            raise SeanceError(NO_PSEUDONYM)

        def add(old):
            seance = old[0]
            if seance is None:
                return {}, None
            learners = seance["learners"]
            for learner in learners:
                if learner["browser"] == digest:
                    return {}, learner["id"]
            if len(learners) >= MAX_LEARNERS:
                raise SeanceError(FULL)
            learner = {"id": secrets.token_urlsafe(12), "name": _unique(name, learners), "browser": digest}
            learners.append(learner)
            seance["last"] = now
            return {_key(code): (seance, MAX_AGE_S)}, learner["id"]

        learner = self.backend.transact([_key(code)], add, now) if code else None
        if learner is None:
            self.backend.transact([TRIES], lambda old: (_tried(old[0] or {}, digest, now), None), now)
            raise SeanceError(UNKNOWN_CODE)
        return learner

    def pseudonym(self, code: str, learner: str) -> str | None:
        """This learner's pseudonym, as the séance stored it; None once the séance is gone."""
        found = self._learner(code, learner)
        return None if found is None else found[1]["learners"][found[0]]["name"]

    def assigned(self, code: str, learner: str) -> Any:
        """This learner's setting of the class experiment, or None (no experiment, or no séance)."""
        found = self._learner(code, learner)
        if found is None or not found[1]["settings"]:
            return None
        i, seance = found
        return seance["settings"][i % len(seance["settings"])]

    def answer(self, code: str, learner: str, question: str, choice: int) -> None:
        """Record this learner's choice (an index) for `question`; their last answer counts."""
        if not KEY.fullmatch(str(question)) or type(choice) is not int or not 0 <= choice < MAX_CHOICES:
            raise ValueError(f"bad question {question!r} or choice {choice!r}")

        def change(seance, i):
            if question not in seance["answers"] and len(seance["answers"]) >= MAX_QUESTIONS:
                raise SeanceError(TOO_MANY_QUESTIONS)
            _put(seance["answers"].setdefault(question, []), i, choice)

        self._event(code, learner, change)

    def result(self, code: str, learner: str, experiment: str, values: dict[str, float]) -> None:
        """Record this learner's result of `experiment`, named finite numbers; their last result counts."""
        if not KEY.fullmatch(str(experiment)) or not isinstance(values, dict) or not 0 < len(values) <= MAX_VALUES:
            raise ValueError(f"bad experiment {experiment!r} or number of values")
        values = {k: float(v) for k, v in values.items()}
        if not all(re.fullmatch(r"[a-z0-9_]{1,32}", k) and abs(v) <= MAX_ABS_VALUE for k, v in values.items()):
            raise ValueError(f"bad values {values!r}: names [a-z0-9_], finite numbers up to {MAX_ABS_VALUE:g}")

        def change(seance, i):
            if experiment not in seance["results"] and len(seance["results"]) >= MAX_EXPERIMENTS:
                raise SeanceError(TOO_MANY_EXPERIMENTS)
            _put(seance["results"].setdefault(experiment, []), i, values)

        self._event(code, learner, change)

    # Checks and transactions shared by both sides.

    def _teacher(self, code: str, secret: str) -> dict:
        """The séance, if `secret` is its secret; an unknown code and a wrong secret get the same message."""
        now, code = self.clock(), normal_code(code)
        seance = self.backend.get(_key(code), now) if code else None
        if seance is None:
            raise SeanceError(BAD_TEACHER)
        if isinstance(secret, str) and hmac.compare_digest(secret.encode(), seance["secret"].encode()):
            return seance  # always: a learner who knows the code must not lock the teacher out
        if len(_recent(seance["wrong_secrets"], now)) >= MAX_WRONG_SECRETS:
            raise SeanceError(TOO_MANY_SECRETS)

        def record(old):  # a wrong secret is no event: the séance keeps its expiry
            if old[0] is None:
                return {}, None
            old[0]["wrong_secrets"] = [*_recent(old[0]["wrong_secrets"], now), now]
            return {_key(code): (old[0], None)}, None

        self.backend.transact([_key(code)], record, now)
        raise SeanceError(BAD_TEACHER)

    def _learner(self, code: str, learner: str) -> tuple[int, dict] | None:
        """(join index, séance) of this learner, or None."""
        code = normal_code(code)
        seance = self.backend.get(_key(code), self.clock()) if code else None
        ids = [entry["id"] for entry in seance["learners"]] if seance else []
        return (ids.index(learner), seance) if learner in ids else None

    def _event(self, code: str, learner: str | None, change: Callable) -> None:
        """Apply change(séance, learner's index) (change(séance) for the teacher) as one event."""
        now, code = self.clock(), normal_code(code)

        def apply(old):
            seance = old[0]
            ids = [entry["id"] for entry in seance["learners"]] if seance else []
            if seance is None or (learner is not None and learner not in ids):
                raise SeanceError(GONE if learner is not None else BAD_TEACHER)
            if learner is None:
                change(seance)
            else:
                change(seance, ids.index(learner))
            seance["last"] = now
            return {_key(code): (seance, MAX_AGE_S)}, None

        if not code:
            raise SeanceError(GONE)
        self.backend.transact([_key(code)], apply, now)


def _index_without(index: dict | None, codes: set[str]) -> Writes:
    rest = {c: t for c, t in (index or {}).items() if c not in codes}
    return {INDEX: (rest, None) if rest else None}


def _tried(tries: dict, digest: str, now: float) -> Writes:
    """`tries` with one more wrong code from `digest`, the old ones forgotten, at most MAX_BROWSERS_TRIED."""
    tries = {d: recent for d, times in tries.items() if (recent := _recent(times, now))}
    tries[digest] = [*tries.get(digest, []), now][-MAX_WRONG_CODES:]
    kept = sorted(tries, key=lambda d: tries[d][-1])[-MAX_BROWSERS_TRIED:]
    return {TRIES: ({d: tries[d] for d in kept}, TRIES_WINDOW_S)}


def _unique(name: str, learners: list[dict]) -> str:
    """`name`, or `name (2)`, `name (3)`… : the first that no learner has (case aside), within MAX_PSEUDONYM."""
    taken, candidate, n = {learner["name"].casefold() for learner in learners}, name, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = name[:MAX_PSEUDONYM - len(suffix)].rstrip() + suffix, n + 1
    return candidate


def _put(row: list, i: int, value: Any) -> None:
    row.extend([None] * (i + 1 - len(row)))
    row[i] = value


def _inert(cell: Any) -> str:
    """A CSV cell a spreadsheet never runs: text starting with = + - @ or a tab or return gets an apostrophe."""
    text = str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_store: Seances | None = None
_store_lock = threading.Lock()


def seance_store() -> Seances:
    """This process's séances: in Redis when AE_REDIS_URL is set (several servers), else in memory."""
    global _store
    with _store_lock:
        if _store is None:
            url = os.environ.get("AE_REDIS_URL")
            _store = Seances(RedisBackend(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))
                             if url else MemoryBackend())
        return _store
