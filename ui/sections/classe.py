"""The class page's sections: joining a séance as a learner, opening one as a teacher, and the live board."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import segno
import streamlit as st

from ae_core.data import DATASETS, DEFAULT_DATASET
from runner.seances import Board, SeanceError, seance_store
from runner.store import RedisBackend
from ui import seance
from ui.charts import layout, plot
from ui.errors import callback, fragment
from ui.fmt import fr
from ui.lesson import load_quiz
from ui.seance import TEMPLATES
from ui.state import pca_val_mse, state

REFRESH_S = 1  # the board redraws this often: an answer shows there within about a second of being recorded


def join_ui(code_in_address: str) -> None:
    """A learner's side: the séance they joined, or the form to join one."""
    member = seance.joined()
    if member is not None:
        st.success(f"Vous avez rejoint la séance {member['code']}. Vos réponses aux quiz et aux prédictions lui "
                   "parviennent au fil de l'eau.", icon=":material/groups:")
        st.text(f"Votre pseudonyme\u202f: {member['name']}")  # plain text: a pseudonym's Markdown stays as typed
        st.button("Quitter la séance", key="seance_leave", on_click=callback(seance.leave))
        return
    st.caption("Un pseudonyme suffit : l'enseignant verra ce pseudonyme et vos réponses aux questions, rien "
               "d'autre. Sans rejoindre de séance, rien ne quitte votre navigateur.")
    with st.form("seance_join", border=False):
        cols = st.columns(2)
        code = cols[0].text_input("Code de la séance (six lettres)", value=code_in_address, max_chars=12)
        name = cols[1].text_input("Votre pseudonyme", max_chars=24)
        if st.form_submit_button("Rejoindre", type="primary", key="seance_join"):
            try:
                seance.join(code, name)
                st.rerun()
            except SeanceError as exc:
                st.error(str(exc))


def open_ui() -> None:
    """A teacher's side before a séance: open one (with the server's password when it asks for one)."""
    password = seance.teacher_password()
    with st.form("seance_open", border=False):
        given = st.text_input("Mot de passe enseignant", type="password") if password else ""
        if st.form_submit_button("Ouvrir une séance"):
            if password and given != password:
                st.error("Mot de passe erroné : demandez-le à la personne qui gère ce serveur.")
                return
            try:
                code, secret = seance_store().open()
            except SeanceError as exc:
                st.error(str(exc))
                return
            seance.hold(code, secret)
            st.rerun()


def teacher_ui() -> None:
    """The séance this browser holds: how to join it, the teacher's link, the live board, close."""
    code, secret = seance.held()["code"], seance.held()["secret"]
    base = (st.context.url or "").split("?")[0]
    join_link = f"{base}?{urlencode({'rejoindre': code})}"
    cols = st.columns([2, 1])
    cols[0].markdown(f"Code à donner à la classe\u202f: **{' '.join(code)}**")
    cols[0].code(join_link, language=None, wrap_lines=True)
    buffer = io.BytesIO()
    segno.make(join_link, error="m").save(buffer, kind="png", scale=6, border=2)
    cols[1].image(buffer.getvalue(), caption="Le lien pour rejoindre, en QR code", width=180)
    if not state.get("class_mode"):  # projected, the page never shows the secret, even folded
        with st.expander("Votre lien d'enseignant (à garder pour vous, à ne pas projeter)"):
            st.caption("Ce lien rouvre ce tableau depuis un autre navigateur. Il contient le secret de la "
                       "séance\u202f; ce navigateur-ci le garde pour vous, même après un rechargement.")
            st.code(f"{base}?{urlencode({'seance': code, 'cle': secret})}", language=None, wrap_lines=True)
    if not isinstance(seance_store().backend, RedisBackend):
        st.caption("Les séances vivent dans la mémoire de ce serveur : un redémarrage du serveur les efface.")
    experiment_ui(code, secret)
    board_ui(code, secret)
    cols = st.columns(2)
    try:
        cols[0].download_button("Exporter (CSV)", seance_store().export_csv(code, secret),
                                file_name=f"seance_{code}.csv", mime="text/csv", key="seance_export")
    except SeanceError:
        pass
    if cols[1].button("Fermer la séance", key="seance_close",
                      help="Efface tout ce que la séance a reçu : pseudonymes, réponses, résultats."):
        try:
            seance_store().close(code, secret)
        except SeanceError:
            pass
        seance.release()
        st.rerun()


@fragment(run_every=REFRESH_S)
def board_ui(code: str, secret: str) -> None:
    """The board, redrawn every REFRESH_S seconds: who joined, and each question's answers."""
    try:
        board = seance_store().board(code, secret)
    except SeanceError as exc:
        st.warning(str(exc))
        return
    n = len(board.pseudonyms)
    st.markdown(f"**{n}** participant{'s' if n > 1 else ''}" if n else "Personne n'a encore rejoint la séance.")
    if n and not state.get("class_mode"):  # shown as table cells: a pseudonym's HTML or Markdown stays text
        st.dataframe(pd.DataFrame({"pseudonyme": board.pseudonyms}, index=pd.RangeIndex(1, n + 1, name="n°")))
    if board.experiment:
        experiment_chart(board)
    for page_id, i, question in _answered(board):
        answers = board.answers[f"{page_id}:{i}"]
        right, total = len(answers.get(question["answer"], [])), sum(len(names) for names in answers.values())
        st.markdown(f"**{question['question']}** · {total} réponse{'s' if total > 1 else ''}, "
                    f"{round(100 * right / total)}\u202f% justes")
        choices = range(len(question["choices"]))
        table = {"choix": question["choices"], "réponses": [len(answers.get(j, [])) for j in choices],
                 "attendue": ["✓" if j == question["answer"] else "" for j in choices]}
        if not state.get("class_mode"):  # a projected board never shows who answered what
            table["qui"] = [", ".join(answers.get(j, [])) for j in choices]
        st.dataframe(pd.DataFrame(table).set_index("choix"))
        gave = [values["agrees"] for _, values in board.results.get(seance.outcome_key(page_id, i), [])]
        if gave:  # a prediction: next to what the learners' own experiments gave
            yes = int(sum(gave))
            st.caption(f"Ce que l'expérience a donné\u202f: la réponse attendue chez {yes} "
                       f"élève{'s' if yes > 1 else ''}, une autre chez {len(gave) - yes}.")


def experiment_ui(code: str, secret: str) -> None:
    """The class experiment's template: one setting of « Entraîner » spread over the learners."""
    dataset = state.get("dataset", DEFAULT_DATASET)
    cols = st.columns([2, 1], vertical_alignment="bottom")
    short = cols[0].selectbox("Expérience de classe : faire varier", list(TEMPLATES), key="seance_template",
                              format_func=lambda k: f"{TEMPLATES[k][0]} ({', '.join(map(_value, TEMPLATES[k][1]))})")
    if cols[1].button("Lancer l'expérience", key="seance_experiment"):
        seance_store().set_experiment(code, secret, f"{short}_{dataset}",
                                      [{"d": dataset, short: v} for v in TEMPLATES[short][1]])
    st.caption(f"Sur «\u202fEntraîner\u202f», chaque élève de la séance reçoit l'une de ces valeurs, verrouillée, "
               f"sur «\u202f{DATASETS[dataset]}\u202f», le jeu de votre barre latérale\u202f; quand son entraînement "
               "finit, le serveur envoie son erreur de validation au tableau, que son onglet soit ouvert ou non.")


def experiment_chart(board: Board) -> None:
    """Every learner's held-out error against their setting, the median per setting, and PCA's curve for k."""
    short, dataset = board.experiment.split("_", 1)
    results = board.results.get(board.experiment, [])
    values = [s[short] for s in board.settings]
    waiting = len(board.pseudonyms) - len(results)
    said = f"{len(results)} résultat{'s' if len(results) > 1 else ''}"
    if waiting > 0:
        said += f", {waiting} encore à l'entraînement (ou pas encore lancé{'s' if waiting > 1 else ''})"
    st.markdown(f"**{TEMPLATES[short][0].capitalize()}** sur {DATASETS.get(dataset, dataset)}\u202f: {said}")
    if not results:
        return
    labels = [_value(v) for v in values]
    x = [_value(r["x"] if short != "ni" else int(r["x"])) for _, r in results]
    fig = go.Figure(go.Scatter(x=x, y=[r["val_mse"] for _, r in results], mode="markers", name="un élève",
                               text=None if state.get("class_mode") else [name for name, _ in results],
                               marker=dict(size=10, opacity=0.7)))
    medians = {label: np.median([r["val_mse"] for (_, r), xi in zip(results, x) if xi == label]) for label in labels
               if label in x}
    fig.add_scatter(x=list(medians), y=list(medians.values()), mode="lines+markers", name="médiane")
    if short == "k":
        fig.add_scatter(x=labels, y=[pca_val_mse(dataset, int(v)) for v in values], mode="lines", name="ACP",
                        line=dict(dash="dash"))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    plot(st, layout(fig, 340, xaxis_title=TEMPLATES[short][0], yaxis_title="erreur de validation (MSE)"),
         key="seance_chart", caption="Chaque point est l'erreur de validation d'un élève à la fin de son "
         "entraînement ; la ligne relie les médianes" + (", la ligne tiretée est l'ACP au même k." if short == "k"
                                                          else "."))


def _value(v) -> str:
    return "toutes" if v == 0 and isinstance(v, int) else fr(v, "g")


def _answered(board: Board) -> list[tuple[str, int, dict]]:
    """(page, index, question) of each question some learner answered, in the quiz's order."""
    out = []
    for key in sorted(board.answers, key=lambda k: (k.split(":")[0], int(k.split(":")[1]))):
        page_id, i = key.split(":")[0], int(key.split(":")[1])
        try:
            questions = load_quiz(page_id)
        except FileNotFoundError:
            continue
        if i < len(questions):
            out.append((page_id, i, questions[i]))
    return out
