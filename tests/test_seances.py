"""Séances (runner.seances), in memory and in a real redis-server: join, answer, the teacher's board and its
secret, the bounds on codes, secrets, learners, séances and pseudonyms, expiry, export, and two replicas."""

import csv
import inspect
import io
import math
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from runner import seances
from runner.seances import SeanceError, Seances, clean_pseudonym, seance_store
from runner.store import MemoryBackend, RedisBackend
from tests.conftest import assert_french_error
from tests.test_typography import python_strings, typography_errors


class Clock:
    """A clock a test sets: seances.Seances reads it for every event."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    """One backend under test: store() gives a new store object on it (another replica, after a reload)."""

    kind: str
    clock: Clock
    new_backend: Callable[[], MemoryBackend | RedisBackend]
    client: redis.Redis | None = None

    def store(self) -> Seances:
        return Seances(self.new_backend(), self.clock)


@pytest.fixture(params=["memory", "redis"])
def setup(request) -> Setup:
    clock = Clock()
    if request.param == "memory":
        memory = MemoryBackend()
        return Setup("memory", clock, lambda: memory)
    port = request.getfixturevalue("redis_port")
    client = redis.Redis(port=port)
    client.flushdb()
    return Setup("redis", clock, lambda: RedisBackend(redis.Redis(port=port)), client)


@pytest.fixture
def store(setup) -> Seances:
    return setup.store()


def browser(i: int = 0) -> str:
    return f"{i:032x}"


def refused(call, *words):
    with pytest.raises(SeanceError) as exc_info:
        call()
    assert_french_error(exc_info, *words)
    return str(exc_info.value)


def test_open_join_answer_result_and_the_board(setup, store):
    code, secret = store.open()
    assert len(code) == 6 and set(code) <= set(seances.ALPHABET) and not set(code) & set("ILOQ01") and len(secret) >= 40
    lea = store.join(code, "Léa", browser(1))
    tom = store.join(code.lower()[:3] + " " + code.lower()[3:], "Tom", browser(2))  # as typed: "abc def"
    store.answer(code, lea, "entrainer:3", 1)
    store.answer(code, tom, "entrainer:3", 1)
    store.answer(code, tom, "entrainer:3", 2)  # the last answer counts
    store.answer(code, lea, "accueil:0", 0)
    setup.clock.now += 5
    store.result(code, tom, "code_k", {"k": 8, "erreur": 0.0125})
    board = store.board(code, secret)
    assert board.code == code and board.pseudonyms == ["Léa", "Tom"]
    assert board.answers == {"entrainer:3": {1: ["Léa"], 2: ["Tom"]}, "accueil:0": {0: ["Léa"]}}
    assert board.counts("entrainer:3") == {1: 1, 2: 1} and board.counts("nulle_part") == {}
    assert board.results == {"code_k": [("Tom", {"k": 8.0, "erreur": 0.0125})]}
    assert board.last_event == setup.clock.now and board.opened == setup.clock.now - 5
    assert store.pseudonym(code, lea) == "Léa" and store.assigned(code, lea) is None


def test_a_learner_gets_nothing_of_another_learner(store):
    """Every call without the secret is one of these, and each gives back the caller's own data at most."""
    learner_side = {"open", "join", "pseudonym", "assigned", "answer", "result"}
    public = {name for name, _ in inspect.getmembers(Seances, inspect.isfunction) if not name.startswith("_")}
    assert {n for n in public if "secret" not in inspect.signature(getattr(Seances, n)).parameters} == learner_side
    code, secret = store.open()
    lea, tom = store.join(code, "Léa", browser(1)), store.join(code, "Tom", browser(2))
    store.set_experiment(code, secret, "code_k", [2, 4])
    store.answer(code, lea, "entrainer:3", 1)
    assert lea != tom and len(lea) >= 16 and len(tom) >= 16  # not guessable
    assert (store.pseudonym(code, tom), store.assigned(code, tom)) == ("Tom", 4)
    for guess in ("0", "1", "Léa", code, secret, lea[:-1]):  # another learner's id cannot be guessed from these
        assert store.pseudonym(code, guess) is None and store.assigned(code, guess) is None
        refused(lambda g=guess: store.answer(code, g, "entrainer:3", 0), "plus partie")
    assert store.answer(code, tom, "entrainer:3", 0) is None and store.result(code, tom, "x", {"a": 1}) is None
    assert store.join(code, "Tom", browser(2)) == tom  # a reload: the same learner, nothing else


def test_every_teacher_call_needs_the_seance_secret(setup, store):
    code, secret = store.open()
    other_code, other_secret = store.open()
    store.join(code, "Léa", browser(1))
    calls = {"board": lambda s: store.board(code, s), "export": lambda s: store.export_csv(code, s),
             "experiment": lambda s: store.set_experiment(code, s, "code_k", [2]),
             "close": lambda s: store.close(code, s)}
    wrong = [None, "", "secret", other_secret, code, code.lower(), secret[:-1], secret + "x", "é" * 43, 12]
    for name, call in calls.items():
        for s in wrong:
            assert refused(lambda c=call, s=s: c(s), "lien d'enseignant") == seances.BAD_TEACHER, (name, s)
        setup.clock.now += seances.TRIES_WINDOW_S  # past the bound on wrong secrets
    assert refused(lambda: store.board("ZZZZZZ", secret)) == seances.BAD_TEACHER  # the same words: no code is revealed
    board = store.board(code, secret)
    assert board.pseudonyms == ["Léa"] and board.experiment is None  # nothing changed, nothing closed
    assert store.board(other_code, other_secret).pseudonyms == []


def test_wrong_codes_are_bounded_per_browser_even_across_reloads_and_replicas(setup, store):
    code, _ = store.open()
    guesses = ["", "ABC", "Z" * 2000, "ZZZZZZ", "III111", None, "ABCDEFG", code[::-1] + "A"]
    for guess in (guesses * 2)[:seances.MAX_WRONG_CODES]:
        refused(lambda g=guess: store.join(g, "Léa", browser(1)), "inconnu")
    for s in (store, setup.store()):  # a reload is a new session, maybe on another replica: the same count
        refused(lambda s=s: s.join(code, "Léa", browser(1)), "trop d'essais")
    assert store.join(code, "Tom", browser(2))  # another browser is not held back
    setup.clock.now += seances.TRIES_WINDOW_S
    assert store.join(code, "Léa", browser(1))
    if setup.client:
        assert 0 < setup.client.pttl(seances.TRIES) <= seances.TRIES_WINDOW_S * 1000


def test_the_tries_of_many_browsers_are_bounded(setup, store, monkeypatch):
    monkeypatch.setattr(seances, "MAX_BROWSERS_TRIED", 5)
    for i in range(8):
        setup.clock.now += 1
        refused(lambda i=i: store.join("ZZZZZZ", "Léa", browser(i)), "inconnu")
    tries = store.backend.get(seances.TRIES, setup.clock.now)
    assert len(tries) == 5 and seances._digest(browser(7)) in tries and seances._digest(browser(0)) not in tries


def test_wrong_secrets_are_bounded_per_seance(setup, store):
    code, secret = store.open()
    other_code, other_secret = store.open()
    lea = store.join(code, "Léa", browser(1))
    for i in range(seances.MAX_WRONG_SECRETS):
        setup.clock.now += 1
        refused(lambda i=i: store.board(code, f"guess{i}"), "lien d'enseignant")
    refused(lambda: store.board(code, "guess again"), "trop d'essais")
    refused(lambda: setup.store().board(code, "and again"), "trop d'essais")  # on another replica too
    assert store.board(code, secret).pseudonyms == ["Léa"]  # a learner cannot lock the teacher out
    assert store.board(other_code, other_secret).pseudonyms == []  # another séance is not held back
    store.answer(code, lea, "entrainer:3", 0)  # nor are the learners
    setup.clock.now += seances.TRIES_WINDOW_S
    refused(lambda: store.board(code, "a new guess"), "lien d'enseignant")  # the count starts again
    assert store.board(code, secret).counts("entrainer:3") == {0: 1}
    if setup.client:  # a wrong secret is no event: it keeps the séance's expiry
        setup.client.pexpire(seances._key(code), 100_000)
        refused(lambda: store.board(code, "guess"), "lien d'enseignant")
        assert 0 < setup.client.pttl(seances._key(code)) <= 100_000


def test_a_closed_seance_refuses_everything_and_leaves_nothing(setup, store):
    code, secret = store.open()
    kept_code, kept_secret = store.open()
    lea = store.join(code, "Léa", browser(1))
    store.answer(code, lea, "entrainer:3", 1)
    store.result(code, lea, "code_k", {"k": 4, "erreur": 0.1})
    store.set_experiment(code, secret, "code_k", [2, 4])
    refused(lambda: store.board(code, "wrong"), "lien d'enseignant")
    store.close(code, secret)
    refused(lambda: store.join(code, "Tom", browser(2)), "inconnu")
    refused(lambda: store.join(code, "Léa", browser(1)), "inconnu")
    refused(lambda: store.answer(code, lea, "entrainer:3", 0), "plus partie")
    refused(lambda: store.result(code, lea, "code_k", {"k": 4}), "plus partie")
    for call in (store.board, store.export_csv, store.close):
        refused(lambda c=call: c(code, secret), "lien d'enseignant")
    assert store.pseudonym(code, lea) is None and store.assigned(code, lea) is None
    assert store.backend.get(seances._key(code), setup.clock.now) is None
    assert list(store.backend.get(seances.INDEX, setup.clock.now)) == [kept_code]
    if setup.client:
        keys = [k.decode() for k in setup.client.keys("*")]
        assert [k for k in keys if code in k] == [] and code not in str(setup.client.get(seances.INDEX))
        store.close(kept_code, kept_secret)
        assert sorted(k.decode() for k in setup.client.keys("*")) == [seances.TRIES]  # the empty index goes too


def test_a_seance_holds_at_most_max_learners_and_a_reload_still_gets_in(store):
    code, secret = store.open()
    ids = [store.join(code, f"Élève {i}", browser(i)) for i in range(seances.MAX_LEARNERS)]
    refused(lambda: store.join(code, "Un de trop", browser(seances.MAX_LEARNERS)), "complète")
    assert store.join(code, "Autre nom", browser(0)) == ids[0] and len(set(ids)) == seances.MAX_LEARNERS
    assert len(store.board(code, secret).pseudonyms) == seances.MAX_LEARNERS


def test_a_store_holds_at_most_max_seances(store):
    opened = [store.open() for _ in range(seances.MAX_SEANCES)]
    assert len({code for code, _ in opened}) == seances.MAX_SEANCES  # codes never collide
    refused(store.open, "trop de séances")
    store.close(*opened[7])
    code, secret = store.open()
    assert store.board(code, secret).pseudonyms == []


def test_an_expired_seance_frees_its_place(setup, store, monkeypatch):
    monkeypatch.setattr(seances, "MAX_SEANCES", 3)
    first, _ = store.open()
    setup.clock.now += seances.MAX_AGE_S / 2
    later = [store.open() for _ in range(2)]
    refused(store.open, "trop de séances")
    if setup.client:  # Redis's own expiry, as 12 h later
        setup.client.pexpire(seances._key(first), 1)
        time.sleep(0.05)
    else:
        setup.clock.now += seances.MAX_AGE_S / 2 + 1
    code, secret = store.open()
    assert sorted(store.backend.get(seances.INDEX, setup.clock.now)) == sorted([code] + [c for c, _ in later])
    assert [store.board(c, s).pseudonyms for c, s in later] == [[], []]


def test_memory_forgets_a_seance_12_h_after_its_last_event():
    clock = Clock()
    store = Seances(MemoryBackend(), clock)
    code, secret = store.open()
    lea = store.join(code, "Léa", browser(1))
    clock.now += seances.MAX_AGE_S - 1
    store.answer(code, lea, "entrainer:3", 1)  # an event: 12 h more from now
    clock.now += seances.MAX_AGE_S - 1
    assert store.board(code, secret).counts("entrainer:3") == {1: 1}
    clock.now += 2
    refused(lambda: store.board(code, secret), "lien d'enseignant")
    refused(lambda: store.answer(code, lea, "entrainer:3", 1), "plus partie")
    refused(lambda: store.join(code, "Tom", browser(2)), "inconnu")
    assert store.backend.exists([seances._key(code)], clock.now) == [False]


def test_redis_keys_expire_12_h_after_the_last_event(redis_port):
    client = redis.Redis(port=redis_port)
    client.flushdb()
    store = Seances(RedisBackend(client))
    code, secret = store.open()
    assert seances.MAX_AGE_S * 1000 - 60_000 < client.pttl(seances._key(code)) <= seances.MAX_AGE_S * 1000
    assert client.pttl(seances.INDEX) == -1  # outlives every séance; pruned at each open
    lea = store.join(code, "Léa", browser(1))
    for event in (lambda: store.answer(code, lea, "entrainer:3", 1), lambda: store.result(code, lea, "x", {"a": 1}),
                  lambda: store.set_experiment(code, secret, "x", [1]), lambda: store.join(code, "Tom", browser(2))):
        client.pexpire(seances._key(code), 1000)
        event()
        assert client.pttl(seances._key(code)) > seances.MAX_AGE_S * 1000 - 60_000
    client.pexpire(seances._key(code), 1000)
    store.board(code, secret)  # reading is no event
    assert client.pttl(seances._key(code)) <= 1000


def test_identical_pseudonyms_get_a_number(store):
    code, secret = store.open()
    long = "Marie-Charlotte Dupont-Lefèvre"
    for i, name in enumerate(["Léa", "Léa", "léa", " Léa ", "Le\u0301a", "Léa (2)", long, long, "Tom"]):
        store.join(code, name, browser(i))
    assert store.board(code, secret).pseudonyms == [
        "Léa", "Léa (2)", "léa (3)", "Léa (4)", "Léa (5)", "Léa (2) (2)", long[:seances.MAX_PSEUDONYM],
        long[:seances.MAX_PSEUDONYM - 4].rstrip() + " (2)", "Tom"]


HOSTILE = {
    "html": ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert"),
    "script": ("<script>alert('x')</script>", "<script>alert('x')</scri"),
    "markdown": ("**[clic](javascript:x)**", "**[clic](javascript:x)**"),
    "controls": ("Léa\x00\x1b[31m\u202e\u200b\x7f !", "Léa[31m !"),
    "spaces": ("\n\t  Léa \r\n\u00a0 Martin ", "Léa Martin"),
    "long": ("A" * 2000, "A" * seances.MAX_PSEUDONYM),
    "combining": ("e\u0301" * 2000, "é" * seances.MAX_PSEUDONYM),
}


@pytest.mark.parametrize("typed, stored", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_pseudonym_is_bounded_and_kept_as_text(store, typed, stored):
    code, secret = store.open()
    lea = store.join(code, typed, browser(1))
    store.answer(code, lea, "accueil:0", 1)
    assert clean_pseudonym(typed) == stored and store.pseudonym(code, lea) == stored
    assert store.board(code, secret).pseudonyms == [stored]
    assert not any(unicodedata.category(c)[0] == "C" for c in stored) and len(stored) <= seances.MAX_PSEUDONYM
    assert stored in store.export_csv(code, secret).decode("utf-8-sig") or stored.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("typed", ["", "   ", "\x00\x01\u200b", "\n\t"])
def test_an_empty_pseudonym_is_refused(store, typed):
    code, _ = store.open()
    refused(lambda: store.join(code, typed, browser(1)), "pseudonyme")


def test_the_csv_export_has_every_answer_and_result_and_no_formula(store):
    code, secret = store.open()
    names = ["=1+2", "+33 6 12", "-4", "@SUM(A1)", "Léa"]
    ids = [store.join(code, name, browser(i)) for i, name in enumerate(names)]
    for i, learner in enumerate(ids):
        store.answer(code, learner, "entrainer:3", i % 2)
    store.answer(code, ids[4], "accueil:0", 3)
    store.result(code, ids[4], "code_k", {"k": 8, "erreur": -4.0})
    data = store.export_csv(code, secret)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["pseudonyme", "type", "question ou expérience", "grandeur", "valeur"]
    assert sorted(rows[1:]) == sorted([
        ["'=1+2", "réponse", "entrainer:3", "choix", "0"], ["'+33 6 12", "réponse", "entrainer:3", "choix", "1"],
        ["'-4", "réponse", "entrainer:3", "choix", "0"], ["'@SUM(A1)", "réponse", "entrainer:3", "choix", "1"],
        ["Léa", "réponse", "entrainer:3", "choix", "0"], ["Léa", "réponse", "accueil:0", "choix", "3"],
        ["Léa", "résultat", "code_k", "k", "8"], ["Léa", "résultat", "code_k", "erreur", "'-4"]])
    assert all(cell[:1] not in "=+-@\t\r" or cell == "" for row in rows for cell in row)
    assert [seances._inert(c) for c in ("\tx", "\rx", "=x", "x=1", "", 3)] == ["'\tx", "'\rx", "'=x", "x=1", "", "3"]


def test_the_class_experiment_spreads_its_settings_in_join_order(store):
    code, secret = store.open()
    ids = [store.join(code, f"Élève {i}", browser(i)) for i in range(4)]
    assert store.assigned(code, ids[0]) is None
    settings = [2, 4, {"k": 8, "bruit": 0.3}]
    store.set_experiment(code, secret, "code_k", settings)
    ids += [store.join(code, f"Élève {i}", browser(i)) for i in range(4, 7)]
    assert [store.assigned(code, learner) for learner in ids] == [settings[i % 3] for i in range(7)]
    board = store.board(code, secret)
    assert (board.experiment, board.settings) == ("code_k", settings)
    for name, bad in [("code_k", []), ("code_k", list(range(61))), ("code_k", [math.nan]), ("code_k", ["x" * 5000]),
                      ("Code K!", [1]), ("code_k", (1, 2))]:
        with pytest.raises(ValueError):
            store.set_experiment(code, secret, name, bad)


def test_bad_answers_and_results_are_refused_and_bounded(store, monkeypatch):
    code, _ = store.open()
    lea = store.join(code, "Léa", browser(1))
    for question, choice in [("entrainer:3", -1), ("entrainer:3", 32), ("entrainer:3", True), ("entrainer:3", 1.0),
                             ("Entraîner 3", 0), ("x" * 40, 0), ("a:b:c", 0)]:
        with pytest.raises(ValueError):
            store.answer(code, lea, question, choice)
    for values in [{}, {"k": math.nan}, {"k": math.inf}, {"k": 1e13}, {"K k": 1}, {f"v{i}": 1 for i in range(17)}]:
        with pytest.raises(ValueError):
            store.result(code, lea, "code_k", values)
    monkeypatch.setattr(seances, "MAX_QUESTIONS", 2)
    monkeypatch.setattr(seances, "MAX_EXPERIMENTS", 1)
    store.answer(code, lea, "q:0", 0)
    store.answer(code, lea, "q:1", 0)
    store.answer(code, lea, "q:1", 1)  # an answer to a question already there is no new question
    refused(lambda: store.answer(code, lea, "q:2", 0), "questions")
    store.result(code, lea, "a", {"x": 1})
    refused(lambda: store.result(code, lea, "b", {"x": 1}), "expériences")


def test_two_replicas_share_one_seance(setup):
    teacher, learner_side = setup.store(), setup.store()
    code, secret = teacher.open()
    lea = learner_side.join(code, "Léa", browser(1))
    learner_side.answer(code, lea, "entrainer:3", 2)
    assert teacher.board(code, secret).answers == {"entrainer:3": {2: ["Léa"]}}
    assert teacher.join(code, "Léa", browser(1)) == lea  # a reload on the other replica
    learner_side.close(code, secret)
    refused(lambda: teacher.board(code, secret), "lien d'enseignant")


def test_simultaneous_answers_from_many_servers_are_all_kept(setup):
    store = setup.store()
    code, secret = store.open()
    ids = [store.join(code, f"Élève {i}", browser(i)) for i in range(30)]
    errors = []

    def answer(i):
        try:
            setup.store().answer(code, ids[i], "entrainer:3", i % 4)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.board(code, secret).counts("entrainer:3") == {c: len(range(c, 30, 4)) for c in range(4)}


def test_seance_store_is_one_per_process_in_memory_or_in_redis(redis_port, monkeypatch):
    redis.Redis(port=redis_port).flushdb()  # whatever the tests before left there (a full index, say)
    monkeypatch.setattr(seances, "_store", None)
    monkeypatch.delenv("AE_REDIS_URL", raising=False)
    assert seance_store() is seance_store() and isinstance(seance_store().backend, MemoryBackend)
    monkeypatch.setattr(seances, "_store", None)
    monkeypatch.setenv("AE_REDIS_URL", f"redis://127.0.0.1:{redis_port}/0")
    assert isinstance(seance_store().backend, RedisBackend)
    code, secret = seance_store().open()
    assert Seances(RedisBackend(redis.Redis(port=redis_port))).board(code, secret).code == code


def test_the_french_messages_follow_french_typography():
    strings = python_strings(Path(seances.__file__))
    assert len(strings) >= 10
    assert [e for _, text in strings for e in typography_errors(text)] == []
