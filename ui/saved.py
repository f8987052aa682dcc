"""Nothing lost on reload: a learner's current model and quiz answers, kept by the server under a cookie.

A reload or a second tab is a new Streamlit session, with an empty session state. Streamlit reads
the cookies a browser sends but cannot set one, so a two-line script in the page sets ours: a random
token of 128 bits, and nothing else. A settings link never carries it, and no learner can guess
another's. The server keeps, per token, in its memory or in a Redis without persistence (never on disk):

- the current model as checkpoint bytes, restored through load_checkpoint (the uploads' checks);
- its training history (per-epoch and per-batch losses) and the quiz answers;
- the séance this browser joined, or holds as its teacher (code, learner id or secret: ui.seance).

At most MAX_ENTRIES learners and MAX_BYTES in all, each kept MAX_AGE_S after its last change; when
full, the least recently changed go first. « Oublier mes données » deletes the entry and the cookie.
Without Redis, a server restart forgets everything; with AE_REDIS_URL, every replica finds every entry.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import time
from dataclasses import dataclass, field

import redis
import streamlit as st

from ae_core.checkpoint import MAX_FILE_BYTES
from runner.store import MemoryBackend, RedisBackend

COOKIE = "atelier_id"
MAX_AGE_S = 12 * 3600  # a school day
MAX_ENTRIES = 500
MAX_BYTES = 64 * 1024 * 1024  # 30 learners with the default MNIST model (0.9 MB) use 27 MB
TOKEN = re.compile(r"[0-9a-f]{32}")
INDEX = "ae:saved"

state = st.session_state


@dataclass
class Saved:
    """What one learner finds again: checkpoint bytes and dataset, history as JSON, quiz answers as JSON."""

    checkpoint: bytes = b""
    dataset: str = ""
    history: str = ""
    quiz: str = "{}"
    seance: str = "{}"
    time: float = field(default_factory=time.time)

    def size(self) -> int:
        return len(self.checkpoint) + len(self.history) + len(self.quiz) + len(self.seance) + 200


class Store:
    """A bounded map token -> Saved in a runner.store backend: this process's memory (one server), or Redis
    shared by several servers, so that a reload on another replica, or after a restart, finds its entry.

    Keys: ``ae:saved:<token>``, the entry as JSON (the checkpoint in base64), expiring max_age_s after its last
    change; ``ae:saved``, the index token -> [time of the last change, size], from which the least recently
    changed go first when the store is over max_entries or max_bytes. Every change is one transaction."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, max_age_s: float = MAX_AGE_S,
                 backend: MemoryBackend | RedisBackend | None = None):
        self.max_entries, self.max_bytes, self.max_age_s = max_entries, max_bytes, max_age_s
        self.backend = backend or MemoryBackend()

    def get(self, token: str) -> Saved | None:
        value = self.backend.get(_key(token), time.time())
        return None if value is None else Saved(**{**value, "checkpoint": base64.b64decode(value["checkpoint"])})

    def update(self, token: str, **fields) -> None:
        """Change some fields of the token's entry (created if needed), then evict down to the bounds."""
        now = time.time()

        def change(old):
            index, entry = self._alive(old[0], now), old[1] or {}
            if entry:
                entry["checkpoint"] = base64.b64decode(entry["checkpoint"])
            saved = Saved(**{**entry, **fields, "time": now})
            if saved.size() > min(self.max_bytes, MAX_FILE_BYTES + 1024 * 1024):  # keep the quiz at least
                saved = Saved(quiz=saved.quiz, seance=saved.seance, time=now)
            index.pop(token, None)
            index[token] = [now, saved.size()]
            writes = {_key(token): ({**saved.__dict__, "checkpoint": base64.b64encode(saved.checkpoint).decode()},
                                    self.max_age_s)}
            while len(index) > self.max_entries or sum(size for _, size in index.values()) > self.max_bytes:
                oldest = min(index, key=lambda t: index[t][0])
                del index[oldest]
                writes[_key(oldest)] = None
            return {INDEX: (index, None), **writes}, None

        self.backend.transact([INDEX, _key(token)], change, now)

    def forget(self, token: str) -> None:
        now = time.time()
        self.backend.transact([INDEX, _key(token)], lambda old: (
            {INDEX: ({t: v for t, v in self._alive(old[0], now).items() if t != token}, None), _key(token): None},
            None), now)

    def nbytes(self) -> int:
        return sum(size for _, size in self._alive(self.backend.get(INDEX, time.time()), time.time()).values())

    def __len__(self) -> int:
        return len(self._alive(self.backend.get(INDEX, time.time()), time.time()))

    def _alive(self, index: dict | None, now: float) -> dict:
        """The index without the entries older than max_age_s (their keys have expired)."""
        return {t: v for t, v in (index or {}).items() if now - v[0] < self.max_age_s}


def _key(token: str) -> str:
    return f"ae:saved:{token}"


@st.cache_resource
def store() -> Store:
    """This process's store: in Redis when AE_REDIS_URL is set (several servers share it), else in memory."""
    url = os.environ.get("AE_REDIS_URL")
    return Store(backend=RedisBackend(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))
                 if url else None)


def token() -> str:
    """This learner's token: the one their browser sent when it is well formed, else a new one."""
    if "_token" not in state:
        try:
            sent = st.context.cookies.get(COOKIE)
        except Exception:  # no browser request behind this session (a test)
            sent = None
        state._token = sent if isinstance(sent, str) and TOKEN.fullmatch(sent) else secrets.token_hex(16)
    return state._token


def cookie_ui() -> None:
    """Set (or refresh) the cookie in the learner's browser; called on every run by the shell."""
    st.html(f"<script>document.cookie = '{COOKIE}={token()}; path=/; max-age={int(MAX_AGE_S)}; "
            "samesite=strict';</script>", unsafe_allow_javascript=True)


def keep(**fields) -> None:
    """Store some of this learner's fields (checkpoint, dataset, history, quiz) for a later session."""
    store().update(token(), **fields)


def forget() -> None:
    """« Oublier mes données »: the stored entry goes, and this browser gets a new token."""
    store().forget(token())
    state._token = secrets.token_hex(16)
