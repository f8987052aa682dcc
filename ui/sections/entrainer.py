"""The training page's result box: the current model's figures against PCA, and what they mean."""

from __future__ import annotations

import math

import streamlit as st

from ae_core import RunSpec, train_val_split
from ae_core.latent import few_label_probes
from ui.charts import plot, saved_loss_figure
from ui.errors import callback
from ui.fmt import fr, held_out
from ui.lesson import lesson_text
from ui.state import CurrentModel, current_dataset, get_dataset, memo, pca_val_mse, state


def results_ui(current: CurrentModel, show_curves: bool = False) -> None:
    """MSE, PSNR, sizes and PCA at the same code size; `show_curves`: the loss curves of its history too."""
    if show_curves:
        plot(st, saved_loss_figure(current.history), key="train_saved_chart",
             caption="La perte de chaque époque, en entraînement et en validation : un écart qui grandit "
                 "signale le surapprentissage.")
    mse, k, data = current.history.val_mse[-1], current.config.code_dim, current_dataset()
    pixels, split = current.config.input_dim, held_out(data)
    pca = pca_val_mse(current.dataset, min(k, pixels))
    cols = st.columns(4)
    cols[0].metric(f"MSE par pixel ({split})", fr(mse), help=f"Erreur par image : {fr(mse * pixels, '.2f')} "
                   f"(somme sur les {pixels} pixels).")
    cols[1].metric("PSNR", f"{fr(10 * math.log10(1 / mse), '.1f')}\u00a0dB")
    cols[2].metric("Nombres : image → code", f"{pixels} → {k}",
                   help="Un rapport de dimensions, pas d'octets : un pixel tient sur 1\u00a0octet, "
                        "un nombre du code sur 4 (float32).")
    compresses = k < pixels
    cols[3].metric(f"ACP à {k} composantes" if compresses else "ACP", fr(pca) if compresses else "sans objet",
                   help="MSE par pixel de l'ACP standard, mêmes images." if compresses
                   else "Le code n'est pas plus petit que l'image.")
    if isinstance(current.key, RunSpec) and current.key.rows.max_train:
        st.caption(f"L'autoencodeur n'a vu que {current.key.rows.max_train} images ; l'ACP de comparaison, toutes "
                   "celles d'entraînement.")
    if not compresses:
        st.warning("Le code est au moins aussi grand que l'image : ce modèle ne comprime pas, "
                   "et l'ACP avec autant de composantes reconstruirait parfaitement.")
    elif mse < pca:
        st.success(f"L'autoencodeur reconstruit mieux que l'ACP avec le même nombre de dimensions "
                   f"({fr(mse)} contre {fr(pca)}) : ses couches non linéaires capturent des formes "
                   "qu'aucune projection linéaire ne résume aussi bien.")
    else:  # the lesson text says why, for a large code (measured: digits from 24, mnist8k at 64)
        why = lesson_text("entrainer_acp_grand_code" if k >= 16 else "entrainer_acp_petit_code").format(k=k)
        st.info(f"L'ACP fait mieux ici ({fr(pca)} contre {fr(mse)}). " + why)


def run_figures(current: CurrentModel | None) -> dict[str, str] | None:
    """The current model's figures for the exercises' `{run:…}` (lessons/entrainer_exercices.md)."""
    if current is None or current.history is None or current.config.code_dim >= current.config.input_dim:
        return None
    k = current.config.code_dim
    return {"mse": fr(current.history.val_mse[-1]), "pca": fr(pca_val_mse(current.dataset, k)), "k": str(k),
            "dataset": get_dataset(current.dataset).title}


def outcomes(current: CurrentModel) -> dict[str, tuple[bool | None, str]]:
    """What the learner's own run says about the page's predictions (lessons/entrainer.toml)."""
    mse, k, data = current.history.val_mse[-1], current.config.code_dim, current_dataset()
    if k >= current.config.input_dim:
        return {}
    pca = pca_val_mse(current.dataset, k)
    measured = (f"avec {k} nombres, votre autoencodeur fait {fr(mse)} et l'ACP {fr(pca)} "
                f"(MSE par pixel, {held_out(data)}).")
    yours = f"votre code a {k} nombres sur « {data.title} » ; relancez avec un code de"
    return {"k2": (mse < pca, measured) if k == 2 else (None, f"{yours} 2."),
            "k32": (pca < mse, measured) if k == 32 and data.name == "digits"
            else (None, f"{yours} 32 sur « Chiffres ».")}


def features_ui(current: CurrentModel) -> None:
    """Feature learning: a classifier from 100 labels on the model's code, on PCA's and on the pixels."""
    st.header("Des caractéristiques apprises sans étiquettes")
    k = current.config.code_dim
    st.caption(f"L'autoencodeur a appris sans étiquettes. Ses codes de {k} nombres aident-ils à classer les "
               "images quand on n'a que 100 images étiquetées ? Une régression logistique apprend sur ces 100 "
               f"images, tirées trois fois, à partir des codes, des {k} composantes de l'ACP, ou des pixels.")
    if current.config.latent_dim is None or k >= current.config.input_dim:
        st.info("Ce modèle n'a pas de code plus petit que l'image : rien à comparer.")
        return
    if state.get("train_probe_for") != current.key:
        st.button("Mesurer avec 100 étiquettes", key="train_probe", on_click=callback(state.update),
                  kwargs={"train_probe_for": current.key})
        return
    data = get_dataset(current.dataset)
    with st.spinner("Trois fois trois régressions logistiques…"):
        acc = memo("train_probe", current.key,
                   lambda: few_label_probes(current.model, data, *train_val_split(data), k))
    names = {"autoencoder": f"codes de l'autoencodeur ({k})", "pca": f"ACP ({k} composantes)",
             "pixels": f"pixels bruts ({current.config.input_dim})"}
    for col, (name, label) in zip(st.columns(3), names.items()):
        col.metric(f"Exactitude : {label}", f"{fr(100 * acc[name], '.1f')} %")
    best = max(acc, key=acc.get)
    if best == "autoencoder":
        st.success("Le code appris sans étiquettes donne le meilleur classifieur : l'autoencodeur a rangé les "
                   "images de façon qu'une frontière simple sépare mieux leurs classes. C'est le pré-entraînement "
                   "non supervisé.")
    else:
        other = "pixels" if best == "pixels" else "composantes de l'ACP"
        st.info(f"Ici, le classifieur sur les {other} fait "
                f"mieux que sur le code : un code appris pour **reconstruire** n'a aucune "
                "raison de garder en priorité ce qui **sépare** les classes"
                + (", et 64 pixels flous sont déjà de bonnes caractéristiques" if data.name == "digits" else "")
                + ". Sur MNIST, avec les réglages par défaut, le code gagne.")
