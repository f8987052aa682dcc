"""Variantes et compression: sparse, contractive and VQ-VAE beside a plain autoencoder; bytes against quality."""

import streamlit as st

from ae_core.describe import pytorch_code
from ae_core.recipes import VARIANTS, variant_spec, variant_weights
from ae_core.variants import sensitivity, sparsity
from ui.address import Setting, apply_address, choice, control, link_ui
from ui.charts import plot
from ui.fmt import fr
from ui.lesson import closing_ui, lesson_ui, outcome_ui, prediction_ui
from ui.live import shared_models, shared_started, shared_train_ui, train_ui
from ui.sections.variantes import compression_ui, contractive_ui, price_figure, show_reconstructions, sparse_ui, vq_ui
from ui.shell import route_through_app
from ui.state import current_dataset, current_model, memo, persist

NAMES = {"sparse": "Parcimonieux (L1 sur le code)", "contractive": "Contractif (pénalise la jacobienne)",
         "vq": "VQ-VAE (codes discrets)"}
SETTINGS = {"v": Setting("var_variant", choice(list(NAMES)))}


def price_section(data, variant, val):
    st.header("Le prix de la pénalité")
    weights = variant_weights(data, variant)[1]
    specs = tuple(variant_spec(data, variant, w) for w in weights)
    label = "Entraîner pour λ = " + "\u202f; ".join(fr(w, "g") for w in weights)
    prediction_ui("variantes", f"var_price_{variant}", started=shared_started(specs))
    histories = shared_train_ui(f"var_price_{variant}", specs, data, label, keep_models=True)
    if histories is None:
        st.caption("Entraînés une seule fois par jeu de données, pour toute la classe.")
        return
    models = shared_models(specs)
    measures = {"sparse": ("part des unités proches de zéro", lambda m: sparsity(m, val)["near_zero"]),
                "contractive": ("norme de la jacobienne normalisée", lambda m: sensitivity(m, val)["jacobian"])}
    if variant in measures:
        name, measure = measures[variant]
        effect = memo("var_price_effect", specs, lambda: [measure(m) for m in models])  # once, not every rerun
    else:
        effect = [h.extra["perplexity"][-1] for h in histories]
        name = "perplexité (nombre effectif de numéros employés)"
    plot(st, price_figure(weights, [h.val_mse[-1] for h in histories], effect, name), key="var_price",
         caption="Selon le poids de la pénalité, l'effet recherché et l'erreur de reconstruction qu'il coûte.")
    if variant == "sparse":  # its prediction: λ × 10, from the sweep's second weight to its last
        (low, high), mse = weights[1::2], [h.val_mse[-1] for h in histories]
        outcome_ui("variantes", "var_price_sparse", {"l1x10": (effect[3] > effect[1] and mse[3] > mse[1], (
            f"de λ = {fr(low, 'g')} à {fr(high, 'g')}, la part des unités proches de zéro passe de "
            f"{fr(100 * effect[1], '.0f')}\u202f% à {fr(100 * effect[3], '.0f')}\u202f% et la MSE de "
            f"{fr(mse[1])} à {fr(mse[3])}."))})


route_through_app()
st.title("Variantes et compression")
lesson_ui("variantes")
data = current_dataset()
persist(var_variant="sparse")
apply_address("variantes", SETTINGS)
variant = control("variantes", SETTINGS, "v", st.radio, "Variante", list(NAMES), format_func=NAMES.get,
                  horizontal=True)
link_ui("variantes", SETTINGS)
_, latent = VARIANTS[variant]
default = variant_weights(data, variant)[0]
st.caption(f"Réglage par défaut : λ = {fr(default, 'g')}, code de {latent} nombres"
           + {"vq": " par vecteur de la grille, chacun remplacé par le plus proche d'un dictionnaire de 64 vecteurs"
                    " ; λ pèse ici le terme d'engagement.",
              "contractive": ", standardisé (chaque unité divisée par son écart type) dans les deux modèles."
              }.get(variant, "."))
pair = (variant_spec(data, f"plain_{variant}"), variant_spec(data, variant))
run = train_ui(f"var_{variant}", pair, data, start_label="Entraîner l'ordinaire puis la variante")
with st.expander("Code PyTorch équivalent de la variante"):
    st.code(pytorch_code(pair[1]), language="python")
if run is not None and run.trained:
    plain, model = (t.model.eval() for t in run.trainers)
    val = data.images[run.trainers[1].val_idx[:500]]
    st.header("Ce que la pénalité change")
    show_reconstructions({"l'autoencodeur ordinaire": plain, "la variante": model}, val)
    mse = [t.history.val_mse[-1] for t in run.trainers]
    st.caption(f"MSE par pixel en validation : ordinaire {fr(mse[0])}, variante {fr(mse[1])}.")
    if variant == "sparse":
        sparse_ui(plain, model, val)
    elif variant == "contractive":
        contractive_ui(plain, model, val, 0.05)
    else:
        vq_ui(model, val)
    price_section(data, variant, val)
    st.header("Compression : des octets contre la qualité")
    current = current_model()
    coder = current.model if current is not None and current.config.arch != "vq" else plain
    st.caption("La courbe « autoencodeur » quantifie le code " + (
        "du modèle courant (page « Entraîner »)." if coder is not plain else
        "de l'autoencodeur ordinaire entraîné ici, en quelques secondes : entraînez le modèle par défaut sur la "
        "page « Entraîner », il deviendra le modèle courant et c'est lui que cette courbe quantifiera."))
    compression_ui(data, coder, model if variant == "vq" else None,
                   (run.specs, current.key if coder is not plain else None))
closing_ui("variantes")
