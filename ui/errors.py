"""The error policy of ae_core.errors, wherever the app's code runs: a page's body, a widget's callback
and a fragment's own reruns. A LearnerError shows its French message; any other exception is logged
with its traceback and the learner reads a French sentence. With AE_DEBUG=1 (the tests) other
exceptions go through, so that a test sees them.

Streamlit shows the traceback of whatever escapes (Community Cloud ignores the app's
client.showErrorDetails), and runs callbacks before the page and fragments without it: each needs
the policy of its own. Every on_click / on_change of the app is a `callback`, every fragment a
`fragment` (tests/test_shell.py checks both).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable

import streamlit as st

from ae_core import LearnerError

log = logging.getLogger(__name__)

UNEXPECTED = ("Cette page a rencontré une erreur inattendue. Rechargez-la ; si cela se reproduit, "
              "prévenez votre enseignant.")
PENDING = "_callback_errors"  # session key: messages of failed callbacks, shown by the next page run


def message(exc: Exception, where: str) -> str:
    """The French sentence for `exc`, raised in `where`; logs (or, with AE_DEBUG=1, re-raises) a bug."""
    if isinstance(exc, LearnerError):
        return str(exc)
    if os.environ.get("AE_DEBUG") == "1":
        raise exc
    log.error("%s failed", where, exc_info=exc)
    return UNEXPECTED


def callback(fn: Callable) -> Callable:
    """`fn` as a widget callback: a failure is kept, and the page shows it at its top (show_pending)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the policy above
            st.session_state.setdefault(PENDING, []).append(message(exc, f"callback {fn.__qualname__}"))
    return run


def show_pending() -> None:
    """The messages of failed callbacks, once; every page shows them first (ui.shell.route_through_app)."""
    for text in st.session_state.pop(PENDING, []):
        st.error(text)


def fragment(run_every: float | None = None) -> Callable:
    """st.fragment(run_every=…) whose body, run with its page or alone, fails as a page does."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def body(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the policy above (st.rerun and st.stop are not Exceptions)
                st.error(message(exc, f"fragment {fn.__qualname__}"))
        return st.fragment(body, run_every=run_every)
    return wrap
