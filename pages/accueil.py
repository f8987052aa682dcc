"""Accueil: what an autoencoder is, the current model's diagram, the uses and a path through the app."""

import streamlit as st

from ae_core import ModelConfig
from ae_core.describe import architecture_dot
from ui.fmt import model_summary
from ui.lesson import closing_ui, lesson_text, lesson_ui, quiz_results_ui, quiz_score
from ui.sections.accueil import CLASS_PATHS, EXTRA_STEPS, plan_minutes
from ui.shell import route_through_app
from ui.state import current_dataset, current_model

USES = [
    ("Réduction de dimension, comparée à l'ACP", "pages/espace_latent.py", ":material/scatter_plot:"),
    ("Génération : un VAE face à un autoencodeur ordinaire", "pages/generer.py",
     ":material/casino:"),
    ("Débruitage d'images", "pages/debruitage.py", ":material/auto_fix_high:"),
    ("Restauration : inpainting et super-résolution", "pages/debruitage.py", ":material/healing:"),
    ("Détection d'anomalies par l'erreur de reconstruction", "pages/anomalies.py",
     ":material/troubleshoot:"),
    ("Compression : des octets contre la qualité, face à l'ACP et au JPEG", "pages/variantes.py",
     ":material/compress:"),
    ("Signaux : débruiter un battement de cœur face aux filtres classiques, repérer les battements anormaux",
     "pages/signaux.py", ":material/ecg_heart:"),
]
PATH = [
    ("1. Entraîner un premier autoencodeur et regarder ses reconstructions", "pages/entrainer.py"),
    ("2. Explorer son espace latent, face à l'ACP", "pages/espace_latent.py"),
    ("3. Nettoyer et restaurer des images abîmées", "pages/debruitage.py"),
    ("4. Repérer les intrus grâce à l'erreur de reconstruction", "pages/anomalies.py"),
    ("5. Générer de nouvelles images avec un VAE", "pages/generer.py"),
    ("6. Comparer les variantes et compresser en octets", "pages/variantes.py"),
    ("7. Passer des images aux signaux : un battement de cœur", "pages/signaux.py"),
]

route_through_app()
st.title("Atelier autoencodeurs")
st.markdown(lesson_text("accueil_intro"))

data = current_dataset()
current = current_model()
config = current.config if current else ModelConfig(image_shape=data.image_shape)
st.header("Le modèle courant, couche par couche")
st.graphviz_chart(architecture_dot(config), alt="Schéma du modèle, de gauche à droite : couche d'entrée, "
                 "couches cachées de l'encodeur, goulot (le code z), couches cachées du décodeur, couche de "
                 f"sortie ; {model_summary(config)}.")
st.caption(f"{'Votre modèle' if current else 'Modèle par défaut (pas encore entraîné)'} : "
           f"{model_summary(config)}, sur {data.title}. Chaque case donne la taille des données "
           "à cette étape ; la case jaune est le code z, le goulot d'étranglement.")

left, right = st.columns(2)
with left:
    st.header("À quoi servent les autoencodeurs ?")
    for label, target, icon in USES:
        st.page_link(target, label=label, icon=icon)
with right:
    st.header("Parcours conseillé")
    for label, target in PATH:
        st.page_link(target, label=label)
    right_answers, answered = quiz_score()
    st.metric("Votre score aux quiz", f"{right_answers} / {answered}" if answered else "aucun quiz fait",
              help="Répondez aux quiz à la fin de chaque leçon ; le score reste pendant la session.")
    quiz_results_ui()

st.header("Pour l'enseignant : un parcours selon la durée de la séance")
for tab, path in zip(st.tabs(list(CLASS_PATHS)), CLASS_PATHS.values()):
    with tab:
        for target, params, what in path:
            st.page_link(target, label=f"{plan_minutes(target)}\u00a0min — {what}", query_params=params or None)
        st.caption(f"{sum(map(plan_minutes, [t for t, _, _ in path]))}\u00a0minutes de pages, le reste pour "
                   "discuter\u202f; chaque lien ouvre la page avec ses réglages, à projeter en mode classe.")
st.page_link("pages/classe.py", label="Voir la classe en direct : ouvrir une séance, que les élèves rejoignent "
             "avec un code, et suivre leurs réponses sur un tableau", icon=":material/groups:")
st.markdown("**En complément**, pour une séance de plus ou un travail à la maison\u202f:")
for target, params, what in EXTRA_STEPS:
    st.page_link(target, label=f"{plan_minutes(target)}\u00a0min — {what}", query_params=params or None)

lesson_ui("accueil")
with st.expander("Glossaire français – anglais", icon=":material/translate:"):
    st.markdown(lesson_text("glossaire"))
with st.expander("Références et lectures", icon=":material/library_books:"):
    st.markdown(lesson_text("references"))
closing_ui("accueil")
