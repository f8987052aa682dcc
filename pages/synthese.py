"""Ce qu'il faut retenir du cours: the uses, strengths and limits, each linked to where the learner saw it."""

import streamlit as st

from ui.lesson import closing_ui, lesson_ui
from ui.sections.synthese import SEEN
from ui.shell import route_through_app

route_through_app()
st.title("Ce qu'il faut retenir du cours")
lesson_ui("synthese")
st.header("Où vous l'avez vu")
for label, target, params, where in SEEN:
    st.page_link(target, label=f"{label} — {where}", query_params=params or None, icon=":material/arrow_forward:")
closing_ui("synthese")
