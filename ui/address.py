"""Settings in the address: a page's controls mirrored in st.query_params, so that a link restores them.

A page names its controls once, as {short key: Setting}. `apply_address` runs before the widgets
are drawn: it gives each widget the value its address carries (a value out of range or unreadable
is ignored with a French notice). `link_ui` runs after: it writes the current values back into the
address and offers « Copier le lien de ce réglage ». The dataset (key `d`) and the flags
`classe=1` (mode classe: `control` hides advanced controls the link does not name) and `verrou=1`
(`control` locks the controls the link names) belong to the shell, read before the
sidebar by `apply_shell_address`. Only settings travel: never a model, a file or an answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from ae_core.data import DEFAULT_DATASET
from ae_core.errors import quote
from ui.state import on_dataset_change, state

FLAGS = {"classe": "class_mode", "verrou": "class_lock"}  # address flag -> session key


@dataclass(frozen=True)
class Setting:
    """One control: its widget's session-state key, `parse` (address text -> value, ValueError when
    the value is not one the control accepts), and whether mode classe hides it (`advanced`)."""

    key: str
    parse: Callable[[str], Any]
    advanced: bool = False


def choice(values: Sequence) -> Callable[[str], Any]:
    """One of `values` (strings, or numbers written as in the address)."""
    by_text = {_text(v): v for v in values}

    def parse(text: str):
        if text not in by_text:
            raise ValueError(text)
        return by_text[text]
    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value
    return parse


def integers(low: int, high: int) -> Callable[[str], list[int]]:
    """A comma-separated list of distinct integers in [low, high], at least one."""
    def parse(text: str) -> list[int]:
        values = sorted({integer(low, high)(v) for v in text.split(",") if v.strip()})
        if not values:
            raise ValueError(text)
        return values
    return parse


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(_text, value))
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def apply_address(page: str, settings: dict[str, Setting]) -> None:
    """Give the widgets of `settings` the values of the address, once per new address of `page`, and
    say here, above the controls, what the address changed: a value it could not use, a lock."""
    _read_address(page, settings)
    mark = f"_address_{page}"
    if f"{mark}_notice" in state:
        st.warning(state.pop(f"{mark}_notice"))
    if state.get("class_lock") and state.get(f"{mark}_named"):
        st.info("Les réglages grisés sont fixés par le lien de l'enseignant, pour que toute la classe fasse la "
                "même expérience ; les autres restent libres.", icon=":material/lock:")


def _read_address(page: str, settings: dict[str, Setting]) -> None:
    params = {k: st.query_params[k] for k in st.query_params}
    mark = f"_address_{page}"
    if state.get(mark) == params:
        return
    ignored, named = [], set()
    for short, text in params.items():
        if short not in settings:  # the dataset and flags (the shell's), or a key of another version
            continue
        try:
            state[settings[short].key] = settings[short].parse(text)
            named.add(short)
        except ValueError:
            ignored.append(f"« {short}={quote(text)} »")
    state[mark], state[f"{mark}_named"] = params, named
    if ignored:
        state[f"{mark}_notice"] = ("Réglages de l'adresse ignorés (valeurs illisibles ou hors des valeurs permises) : "
                                   + ", ".join(ignored) + ". Les autres réglages ont été appliqués.")


def apply_shell_address(datasets: Sequence[str]) -> None:
    """The dataset (key `d`) and the flags `classe=1` (mode classe) and `verrou=1` (the controls the
    link names are locked) of the address, before the sidebar draws its selectors."""
    for flag, key in FLAGS.items():
        text = st.query_params.get(flag)
        if text is not None and state.get(f"_address_{flag}") != text:
            state[f"_address_{flag}"], state[key] = text, text == "1"
    text = st.query_params.get("d")
    if text is None or state.get("_address_d") == text:
        return
    state["_address_d"] = text
    if text not in datasets:
        state["dataset_error"] = f"Jeu de données inconnu dans l'adresse : « {quote(text)} ». « Chiffres » est utilisé."
    elif state.get("dataset") != text:
        state["dataset"] = text
        on_dataset_change()


def control(page: str, settings: dict[str, Setting], short: str, widget: Callable, *args, **kwargs) -> Any:
    """The value of the control `short`: widget(*args, key=…, **kwargs) drawn, disabled when the link
    locks it (`verrou=1`), or not drawn at all when mode classe hides it (advanced, and not named by
    the teacher's link); a hidden control keeps its value in the session."""
    key, named = settings[short].key, state.get(f"_address_{page}_named", ())
    if state.get("class_mode") and settings[short].advanced and short not in named:
        return state[key]
    locked = bool(state.get("class_lock")) and short in named
    if locked:
        kwargs["help"] = (kwargs.get("help") or "") + " Fixé par le lien de l'enseignant (« verrou=1 »)."
    forced = state.get(f"_forced_{page}", {})  # the class experiment's setting (ui.seance.apply_assignment)
    if short in forced:
        state[key], locked = forced[short], True
        kwargs["help"] = (kwargs.get("help") or "") + " Fixé par l'expérience de classe de votre enseignant."
    return widget(*args, key=key, disabled=locked, **kwargs)


def link_ui(page: str, settings: dict[str, Setting]) -> None:
    """Write the current values of `settings` into the address, and show the link to copy."""
    mark = f"_address_{page}"
    params = {"d": state.get("dataset", DEFAULT_DATASET)}
    params |= {short: _text(state[s.key]) for short, s in settings.items() if s.key in state}
    params |= {flag: "1" for flag, key in FLAGS.items() if state.get(key)}
    if not state.get("class_lock") and {k: st.query_params[k] for k in st.query_params} != params:
        st.query_params.from_dict(params)  # a locked link stays the teacher's
    state[mark] = params  # our own writing is not a new address to apply
    state["_address_d"] = params["d"]
    with st.popover("Copier le lien de ce réglage", icon=":material/link:"):
        st.caption("Ce lien ouvre cette page avec les mêmes réglages (pas le modèle entraîné) : "
                   "sélectionnez-le, ou copiez-le avec le bouton qui apparaît à sa droite au survol, pour "
                   "une diapositive ou un message à la classe.")
        st.code(f"{st.context.url or ''}?{urlencode(params)}", language=None, wrap_lines=True)
