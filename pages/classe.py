"""La classe en direct: a teacher opens a séance, learners join it with a code and a pseudonym, and the
teacher's board shows the class's answers live."""

import streamlit as st

from runner.seances import SeanceError, normal_code
from ui import seance
from ui.lesson import closing_ui, lesson_ui
from ui.sections.classe import join_ui, open_ui, teacher_ui
from ui.shell import route_through_app

route_through_app()
st.title("La classe en direct")
lesson_ui("classe")
# A teacher's link carries the séance's secret: it moves into this browser's session at once, and out of
# the address, so that a projected address bar never shows it.
if "cle" in st.query_params:
    code, secret = st.query_params.get("seance", ""), st.query_params["cle"]
    del st.query_params["cle"]
    try:
        seance.hold(normal_code(code), secret)
    except SeanceError as exc:
        st.error(str(exc))
st.header("Élève : rejoindre une séance")
join_ui(normal_code(st.query_params.get("rejoindre", "")))
st.header("Enseignant : la séance et son tableau")
if seance.held() is None:
    open_ui()
else:
    teacher_ui()
closing_ui("classe")
