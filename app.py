"""Atelier autoencodeurs: routes to the pages. Run with `streamlit run app.py`."""

import streamlit as st

from runner.jobs import pool
from ui.shell import run_page, sidebar_ui

st.set_page_config(page_title="Atelier autoencodeurs", page_icon="🧩", layout="wide")

# One flat list, in the course's order: Streamlit draws sectioned navigation as headers inside its <ul>,
# which screen readers and axe-core reject (rules list, listitem); a flat list is valid markup.
PAGES = [
    st.Page("pages/accueil.py", title="Accueil", url_path="accueil", icon=":material/home:", default=True),
    st.Page("pages/entrainer.py", title="Entraîner un autoencodeur", url_path="entrainer",
            icon=":material/model_training:"),
    st.Page("pages/espace_latent.py", title="Espace latent et ACP", url_path="espace_latent",
            icon=":material/scatter_plot:"),
    st.Page("pages/debruitage.py", title="Débruitage et restauration", url_path="debruitage",
            icon=":material/auto_fix_high:"),
    st.Page("pages/anomalies.py", title="Détection d'anomalies", url_path="anomalies",
            icon=":material/troubleshoot:"),
    st.Page("pages/generer.py", title="Générer : autoencodeur et VAE", url_path="generer",
            icon=":material/casino:"),
    st.Page("pages/variantes.py", title="Variantes et compression", url_path="variantes",
            icon=":material/tune:"),
    st.Page("pages/signaux.py", title="Signaux : battements de cœur", url_path="signaux",
            icon=":material/ecg_heart:"),
    st.Page("pages/sons.py", title="Sons : débruiter, compresser, votre voix", url_path="sons",
            icon=":material/graphic_eq:"),
    st.Page("pages/synthese.py", title="Ce qu'il faut retenir du cours", url_path="synthese",
            icon=":material/checklist:"),
    st.Page("pages/classe.py", title="La classe en direct", url_path="classe", icon=":material/groups:"),
]

# url_path = file name: a typed or bookmarked address then resolves even before st.navigation runs
# (Streamlit first matches it against the files in pages/; ui.shell.route_through_app does the rest).
page = st.navigation(PAGES)
pool()  # the training process starts (a few seconds) while the first visitor reads a page
sidebar_ui()
run_page(page)
