"""The frame around every page: torch threads, the router guard, French CSS and the sidebar."""

from __future__ import annotations

import logging
import os
import sys
import threading

import streamlit as st
import torch
from streamlit.runtime.pages_manager import PagesManager

from ae_core import DATASETS
from ui import saved, seance
from ui.address import apply_shell_address
from ui.errors import callback, message, show_pending
from ui.fmt import model_summary
from ui.lesson import restore_quiz
from ui.state import keep_widgets, on_dataset_change, persist, restore_model, state

for _name in ("ui", "runner"):  # the app's own lines (a job's end, a page's bug) on stderr
    if not logging.getLogger(_name).handlers:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger(_name).addHandler(_handler)
        logging.getLogger(_name).setLevel(logging.INFO)
# One torch thread in each session's thread: threads that outnumber the cores make every torch call
# many times slower (measured: 15-30x); the trainings have their own process (runner.jobs).
THREADS = int(os.environ.get("AE_TORCH_THREADS", "1"))

# Threads hand the GIL back and forth around every small torch operation; when other sessions
# render pages meanwhile, the default 5 ms hand-over makes each such thread wait. It was measured
# with trainings in the server's threads, which AE_TRAIN_IN_CHILD=0 still gives; trainings now run
# in a child process (runner.jobs), and the interval was not measured again without them.
sys.setswitchinterval(float(os.environ.get("AE_SWITCH_INTERVAL", "0.0005")))


def use_threads() -> None:
    """Limit torch to THREADS threads in the calling thread.

    The setting is per thread: each Streamlit script run has its own thread, which would otherwise
    use every core (measured: 3 learners on 2 cores slowed down 30-fold).
    """
    torch.set_num_threads(THREADS)


_routed = threading.Event()


def route_through_app() -> None:
    """Send a page that runs without app.py back through it; every page calls this first.

    Streamlit runs an app that has a pages/ folder as a plain folder of pages until app.py has
    called st.navigation once in this process. When the first visitor of a fresh server opens a
    page by its address, that page runs alone, without the router and its sidebar: switch that
    mode off and rerun the same address, which then goes through app.py. Once is enough: the mode
    stays off for the life of the server. (AppTest alone turns it back on before every run, and a
    rerun each time would swallow the button clicks a test makes.) Relies on Streamlit's private
    `PagesManager.uses_pages_directory`: tests/test_shell.py fails if it disappears.

    Then the messages of the callbacks that failed before this run (ui.errors), at the page's top.
    """
    show_pending()
    if _routed.is_set():
        return
    _routed.set()
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# Streamlit writes a few words of its own in English; these rules put French ones in their place.
FRENCH_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Choisir un fichier"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "ou glissez-le ici (5 Mo au plus)"; font-size: 0.875rem; }
[data-testid="stStatusWidget"] { visibility: hidden; }
@media (prefers-reduced-motion: reduce) { *, *::before, *::after { animation: none !important;
  transition: none !important; scroll-behavior: auto !important; } }
/* Streamlit's « Page not found » dialog for a mistyped address (no API, see docs/streamlit-reports.md).
   The app's own dialogs (st.dialog) hold Streamlit blocks, that one plain text: the rules skip them. */
section[role="dialog"]:not(:has([data-testid="stVerticalBlock"])) h2[slot="title"] { font-size: 0; }
section[role="dialog"]:not(:has([data-testid="stVerticalBlock"])) h2[slot="title"]::after {
  content: "Page introuvable"; font-size: 1.5rem; }
section[role="dialog"]:not(:has([data-testid="stVerticalBlock"])) h2[slot="title"] + div > div { font-size: 0; }
section[role="dialog"]:not(:has([data-testid="stVerticalBlock"])) h2[slot="title"] + div > div::after {
  content: "Cette adresse ne correspond à aucune page de l'atelier : voici la page d'accueil."; font-size: 1rem; }
/* Captions darker than Streamlit's faded text (3.9:1 on white): 6.4:1, legible on a projector too. */
[data-testid="stCaptionContainer"] { opacity: 1; color: #5f5e5c; }
/* A prediction locked during its run stays readable (Streamlit fades a disabled label to 2.3:1). */
[class*="st-key-predict_"] [data-testid="stWidgetLabel"] p { color: #5f5e5c; }
/* Page names in the menu and labels of popover buttons wrap instead of ending in « … » (mode classe, phone). */
:is([data-testid="stSidebarNavLink"], [data-testid="stPopoverButton"]) :is(.stMarkdownEllipsis, .stMarkdownEllipsis p) {
  white-space: normal; overflow: visible; text-overflow: clip; line-height: 1.35; }
[data-testid="stSidebarNavLink"] { height: auto; }
/* The experiment within reach: less empty space above the title than Streamlit's 6rem. */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] h1 { font-size: 2rem; }
  [data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.6rem; } }
</style>"""


# The page's language, and on a phone the menu folded away once a page is chosen (Streamlit leaves it
# open over the page). Added once per browser tab: the flag survives reruns.
PAGE_JS = """<script>
document.documentElement.lang = "fr";
if (!window.atelierMenu) {
  window.atelierMenu = true;
  document.addEventListener("click", (event) => {
    if (window.innerWidth > 640 || !event.target.closest('[data-testid="stSidebarNavLink"]')) return;
    setTimeout(() => document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click(), 300);
  });
}
</script>"""


# Mode classe: every text of the app is sized in rem, so a larger root font enlarges it all.
CLASS_CSS = "<style>html { font-size: 21px; }</style>"


def _forget() -> None:
    saved.forget()
    job = state.pop("train", None)
    if job is not None:
        job.pause()
    for key in [k for k in state if k.startswith("quiz") or k == "current_model"]:
        del state[key]
    state.forgotten = True


@st.dialog("Oublier mes données ?")
def _confirm_forget() -> None:
    st.markdown("Votre modèle courant et vos réponses aux quiz seront effacés de ce serveur et de ce "
                "navigateur. Il n'y a pas de retour en arrière.")
    yes, no = st.columns(2)
    confirmed = yes.button("Oui, tout oublier", key="forget_yes", type="primary", icon=":material/delete:")
    if no.button("Annuler", key="forget_no"):
        st.rerun()
    if confirmed:
        try:
            _forget()
        except Exception as exc:  # noqa: BLE001 - ui.errors' policy, said in the dialog, which stays open
            st.error(message(exc, "dialog _confirm_forget"))
            return
        st.rerun()


def sidebar_ui() -> None:
    """Per-run set-up, then the dataset selector and the state of the current model, on every page."""
    use_threads()
    keep_widgets()
    st.html(FRENCH_CSS)
    # Streamlit serves <html lang="en"> and has no setting for it (streamlit/streamlit#15726): without
    # this, a screen reader reads every French page with an English voice.
    st.html(PAGE_JS, unsafe_allow_javascript=True)
    persist(class_mode=False)
    if "_restored" not in state:  # a reload or a second tab: the learner's model and answers again
        state._restored = True
        restore_model()
        restore_quiz()
        seance.restore()
    seance.apply_assignment()
    apply_shell_address(list(DATASETS))
    with st.sidebar:
        st.selectbox("Jeu de données", list(DATASETS), format_func=DATASETS.get, key="dataset",
                     on_change=callback(on_dataset_change),
                     help="Utilisé par toutes les pages. « Chiffres » fonctionne sans connexion Internet.")
        dataset_error = state.pop("dataset_error", None)
        if dataset_error:
            st.error(dataset_error)
    if dataset_error:  # also at the top of the page, where a learner on a phone looks
        st.error(dataset_error, icon=":material/database:")
    with st.sidebar:
        st.toggle("Mode classe", key="class_mode",
                  help="Pour le vidéoprojecteur : textes et figures plus grands, réglages avancés cachés "
                       "(sauf ceux que nomme le lien de l'enseignant). Dans l'adresse : classe=1.")
        st.markdown("**Le modèle courant**")
        current, job = state.get("current_model"), state.get("train")
        if job is not None and job.running and not job.done:
            st.info("En cours d'entraînement…")
        elif current is None:
            st.caption("Non entraîné : rendez-vous sur la page « Entraîner ».")
        else:
            st.success(f"Entraîné sur {DATASETS[current.dataset]}")
            st.caption(model_summary(current.config))
        forget = st.button("Oublier mes données", key="forget", icon=":material/delete:",
                           help="Sur un ordinateur partagé : efface votre modèle et vos réponses aux quiz de ce "
                                f"serveur et de ce navigateur. Sinon, ils sont gardés "
                                f"{saved.MAX_AGE_S // 3600} heures, pour un rechargement ou un deuxième onglet.")
        saved.cookie_ui()
    if forget:  # a dialog opens from the page, not from inside the sidebar
        _confirm_forget()
    if state.pop("forgotten", False):
        st.toast("Vos données sont oubliées : modèle courant et réponses aux quiz.", icon=":material/delete:")
    if state.get("class_mode"):
        st.html(CLASS_CSS)


def run_page(page) -> None:
    """Run the routed page under the error policy (ui.errors)."""
    try:
        page.run()
    except Exception as exc:  # noqa: BLE001 - the policy: st.rerun and st.stop are not Exceptions
        st.error(message(exc, f"page {page.url_path}"))
