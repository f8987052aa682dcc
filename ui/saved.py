"""Nothing lost on reload: a learner's current model and quiz answers, kept by the server under a cookie.

A reload or a second tab is a new Streamlit session, with an empty session state. Streamlit reads
the cookies a browser sends but cannot set one, so a two-line script in the page sets ours: a random
token of 128 bits, and nothing else. A settings link never carries it, and no learner can guess
another's. The server keeps, per token and in its memory only (never on disk):

- the current model as checkpoint bytes, restored through load_checkpoint (the uploads' checks);
- its training history (per-epoch and per-batch losses) and the quiz answers;
- the séance this browser joined, or holds as its teacher (code, learner id or secret: ui.seance).

At most MAX_ENTRIES learners and MAX_BYTES in all, each kept MAX_AGE_S after its last change; when
full, the least recently changed go first. « Oublier mes données » deletes the entry and the cookie.
A server restart forgets everything.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import streamlit as st

from ae_core.checkpoint import MAX_FILE_BYTES

COOKIE = "atelier_id"
MAX_AGE_S = 12 * 3600  # a school day
MAX_ENTRIES = 500
MAX_BYTES = 64 * 1024 * 1024  # 30 learners with the default MNIST model (0.9 MB) use 27 MB
TOKEN = re.compile(r"[0-9a-f]{32}")

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
    """A bounded, thread-safe map token -> Saved (one per process, shared by every session)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, max_age_s: float = MAX_AGE_S):
        self.max_entries, self.max_bytes, self.max_age_s = max_entries, max_bytes, max_age_s
        self._entries: OrderedDict[str, Saved] = OrderedDict()  # least recently changed first
        self._lock = threading.Lock()

    def get(self, token: str) -> Saved | None:
        with self._lock:
            self._expire()
            return self._entries.get(token)

    def update(self, token: str, **fields) -> None:
        """Change some fields of the token's entry (created if needed), then evict down to the bounds."""
        with self._lock:
            old = self._entries.pop(token, None) or Saved()
            entry = Saved(**{**old.__dict__, **fields, "time": time.time()})
            if entry.size() > min(self.max_bytes, MAX_FILE_BYTES + 1024 * 1024):  # keep the quiz at least
                entry = Saved(quiz=entry.quiz, seance=entry.seance)
            self._entries[token] = entry
            self._expire()
            while len(self._entries) > self.max_entries or self.nbytes() > self.max_bytes:
                self._entries.popitem(last=False)

    def forget(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def nbytes(self) -> int:
        return sum(e.size() for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self) -> None:
        cutoff = time.time() - self.max_age_s
        while self._entries and next(iter(self._entries.values())).time < cutoff:
            self._entries.popitem(last=False)


@st.cache_resource
def store() -> Store:
    return Store()


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
