"""Espace latent et ACP: the autoencoder's 2-D map next to PCA's, decoding anywhere, error vs k, manifolds."""

import math
from functools import partial

import streamlit as st
import torch

from ae_core import encode, pca_error_curve, reconstruct, train_val_split, trustworthiness
from ae_core.data import MANIFOLDS
from ae_core.latent import LatentPlane, latent_maps, probe_scores
from ae_core.metrics import as_float
from ae_core.recipes import curve_sizes, curve_spec, manifold_spec, map_spec
from ae_core.rows import select_rows
from ui.address import Setting, apply_address, choice, link_ui
from ui.charts import MAP_POINTS, cloud_figure, error_curve_figure, flat_map_figure, map_figure, plot
from ui.draw import drawn_on_maps_ui
from ui.errors import callback
from ui.fmt import fr, held_out
from ui.images import show_images
from ui.latent import decode_anywhere_ui, interpolation_ui, live_map, replay_ui
from ui.lesson import closing_ui, lesson_text, lesson_ui, outcome_ui, prediction_ui
from ui.live import shared_started, shared_train_ui, train_ui
from ui.shell import route_through_app
from ui.state import current_dataset, current_model, get_dataset, manifold, memo, persist, remember_click, state

PCA_KS = tuple(range(1, 33))
SETTINGS = {"src": Setting("latent_source", choice(["page", "current"]))}


@st.cache_data(show_spinner="Calcul de l'ACP pour k = 1 à 32…")
def pca_curve(dataset: str) -> list[float]:
    data = get_dataset(dataset)
    train_idx, val_idx = select_rows(data, map_spec(data).rows)
    return pca_error_curve(data.images[train_idx], data.images[val_idx], PCA_KS).tolist()


def model_ui(data):
    """(model, its key, training rows, validation rows) of the autoencoder to explore, or None."""
    persist(latent_source="page")
    apply_address("espace_latent", SETTINGS)
    source = st.radio("Autoencodeur à explorer", ["page", "current"], key="latent_source", horizontal=True,
                      format_func={"page": "un autoencodeur à code 2D, entraîné ici",
                                   "current": "le modèle courant (page « Entraîner »)"}.get)
    if source == "page":
        st.caption(f"Perceptron multicouche, code de 2 nombres, sur {data.title} "
                   "(au plus 10 000 images d'entraînement).")
        run = train_ui("latent_trainer", map_spec(data, watch=MAP_POINTS), data, live=partial(live_map, data),
                       start_label="Entraîner l'autoencodeur 2D")
        if run is not None and run.trained:
            t = run.trainer
            with st.expander("Revoir l'apprentissage, époque par époque"):
                replay_ui("latent_replay", data, [t], ["Autoencodeur"], pca=True)
            return t.model, t.spec, t.train_idx, t.val_idx
        return None
    current = current_model()
    if current is None:
        st.info("Pas de modèle courant pour ce jeu de données : entraînez-en un sur la page "
                "« Entraîner un autoencodeur », ou choisissez l'autoencodeur 2D de cette page.")
        return None
    return current.model, current.key, *train_val_split(data)


def maps_section(data, model, key, train_idx, val_idx):
    with st.spinner("Calcul des deux cartes…"):
        maps = memo("latent_maps", key, lambda: latent_maps(model, data, train_idx, val_idx, MAP_POINTS))
    labels = data.labels[maps.rows].numpy()
    selected = state.get("latent_selected")
    selected = selected if selected is not None and selected < len(maps.rows) else None
    st.header("Deux cartes des mêmes images")
    st.caption(f"{len(maps.rows)} images de {held_out(data)}, autant de chaque classe. "
               "Cliquez sur un point pour le retrouver dans l'autre carte.")
    drawn = drawn_on_maps_ui("latent_drawing", model, maps) or (None, None)
    if maps.plane.projected:
        st.info(f"Le code de ce modèle a {maps.plane.dim} nombres : la carte de gauche montre ses deux premiers axes "
                f"d'ACP, qui gardent {fr(100 * maps.plane.explained, '.0f')} % de sa variance.")
    maps_xy, titles = (maps.ae_xy, maps.pca_xy), ("Autoencodeur", "ACP à 2 composantes")
    for col, xy, title, chart, star in zip(st.columns(2), maps_xy, titles, ("latent_map_ae", "latent_map_pca"), drawn):
        plot(col, map_figure(xy, labels, data.class_names, title, selected, star), key=chart, width="stretch",
             caption=f"Carte de l'{title.lower()} : un point par image, une couleur et une forme par classe.",
                         on_select=callback(partial(remember_click, chart, "latent_selected")), selection_mode="points")
    st.number_input(f"Ou, au clavier : le rang d'une image dans l'échantillon (0 à {len(maps.rows) - 1})", 0,
                    len(maps.rows) - 1, value=None, step=1, key="latent_pick", placeholder="un nombre, puis Entrée",
                    on_change=callback(lambda: state.update(latent_selected=state.get("latent_pick"))))
    if selected is not None:
        with st.container(key="latent_detail", border=True):
            row = int(maps.rows[selected])
            x = as_float(data.images[row:row + 1])
            st.markdown(f"**Image n° {row}**, classe « {data.class_names[labels[selected]]} »")
            show_images(torch.cat([x, reconstruct(model, x), maps.pca.reconstruct(x)]),
                        ["original", f"autoencodeur · MSE {fr(maps.ae_errors[selected])}",
                         f"ACP · MSE {fr(maps.pca_errors[selected])}"])
    st.header("Les chiffres")
    c = st.columns(4)
    c[0].metric(f"MSE de l'autoencodeur (code {maps.plane.dim})", fr(maps.ae_val_mse))
    c[1].metric("MSE de l'ACP à 2 composantes", fr(maps.pca_val_mse))
    c[2].metric("Fiabilité du voisinage, autoencodeur", fr(maps.ae_trust, ".3f"))
    c[3].metric("Fiabilité du voisinage, ACP", fr(maps.pca_trust, ".3f"))
    st.caption(f"MSE par pixel sur toutes les images de {held_out(data)} ; fiabilité du voisinage (10 voisins) "
               "des deux cartes par rapport aux pixels, sur l'échantillon affiché.")
    if st.button("Calculer les sondes linéaires", key="latent_probe_go") or state.get("latent_probes_for") == key:
        state.latent_probes_for = key
        with st.spinner("Régressions logistiques sur les codes et les pixels…"):
            acc = memo("latent_probes", key, lambda: probe_scores(model, maps.pca, data, train_idx, val_idx))
        for col, name, label in zip(st.columns(3), acc, (f"codes de l'autoencodeur ({maps.plane.dim})",
                                                         "codes de l'ACP (2)", "pixels bruts")):
            col.metric(f"Exactitude de la sonde : {label}", f"{fr(100 * acc[name], '.1f')} %")
    return maps, labels, selected


def curve_section(data):
    st.header("Erreur selon la taille du code")
    pca_err, ks = pca_curve(data.name), curve_sizes(data.image_shape)
    specs = tuple(curve_spec(data, k) for k in ks)
    prediction_ui("espace_latent", "latent_curve", started=shared_started(specs))
    histories = shared_train_ui("latent_curve", specs, data,
                                f"Entraîner les autoencodeurs de taille {', '.join(map(str, ks))}")
    if histories is None:
        st.caption("Ces autoencodeurs sont entraînés une seule fois par jeu de données, pour toute la classe.")
        plot(st, error_curve_figure(PCA_KS, pca_err, held_out=held_out(data)), key="latent_error_curve",
             caption="L'erreur de l'ACP selon la taille du code ; les autoencodeurs s'y ajouteront une fois entraînés.")
        return
    ae_err = [h.val_mse[-1] for h in histories]
    plot(st, error_curve_figure(PCA_KS, pca_err, ks, ae_err, held_out(data)), key="latent_error_curve",
         caption="L'erreur de reconstruction selon la taille du code : plus bas, c'est plus fidèle.")
    pixels = math.prod(data.image_shape)
    st.table({"taille du code k": ks, "MSE par pixel, autoencodeur": [fr(e) for e in ae_err],
              "MSE par pixel, ACP": [fr(pca_err[k - 1]) for k in ks],
              f"erreur par image (× {pixels}), autoencodeur": [fr(e * pixels, ".1f") for e in ae_err],
              f"erreur par image (× {pixels}), ACP": [fr(pca_err[k - 1] * pixels, ".1f") for k in ks],
              "rapport autoencodeur / ACP": [fr(e / pca_err[k - 1], ".2f") for e, k in zip(ae_err, ks)]})
    ratios = [e / pca_err[k - 1] for e, k in zip(ae_err, ks)]
    outcome_ui("espace_latent", "latent_curve", {"below": (max(ratios) < 1, "rapports autoencodeur / ACP\u202f: " + (
        "\u202f; ".join(f"{fr(r, '.2f')} à k = {k}" for r, k in zip(ratios, ks)) + "."))})
    if specs[0].rows.shifts:
        st.caption(lesson_text("espace_latent_decalages"))
    st.caption(lesson_text("espace_latent_courbe"))


def manifold_section():
    st.header("Données non linéaires en 3 dimensions")
    shape = st.segmented_control("Forme", list(MANIFOLDS), format_func=MANIFOLDS.get, key="latent_shape",
                                 default=list(MANIFOLDS)[0], required=True)
    cloud = manifold(shape)
    X, t = cloud.images.flatten(1).numpy(), cloud.labels.numpy()
    run = train_ui("latent_manifold", manifold_spec(cloud), cloud, start_label="Entraîner l'autoencodeur 3 → 2 → 3")
    plot(st, cloud_figure(X, t, f"{MANIFOLDS[shape]} en 3D"), key="latent_3d", width="stretch",
         caption="Le nuage de points en 3 dimensions ; la couleur suit la position le long de la forme.")
    maps2d = {"ACP": LatentPlane(X).to_2d(X)}
    if run is not None and run.trained:
        maps2d = {"autoencodeur": encode(run.trainer.model, cloud.images).numpy(), **maps2d}
    for col, (title, xy) in zip(st.columns(2), maps2d.items(), strict=False):
        plot(col, flat_map_figure(xy, t, f"Carte 2D de l'{title}"), key=f"latent_2d_{title}",
             caption="Si la forme est bien dépliée, les couleurs s'y suivent sans se mêler.")
        col.metric(f"Fiabilité du voisinage, {title}", fr(trustworthiness(X, xy), ".3f"))


route_through_app()
st.title("Espace latent et ACP")
lesson_ui("espace_latent")
data = current_dataset()
explored = model_ui(data)
if explored is not None:
    model, key, train_idx, val_idx = explored
    maps, labels, selected = maps_section(data, model, key, train_idx, val_idx)
    st.header("Décoder n'importe quel point")
    decode_anywhere_ui("latent", model, maps.plane, maps.ae_xy)
    st.header("Interpolation entre deux images")
    names = [f"n° {int(r)} (classe {data.class_names[c]})" for r, c in zip(maps.rows, labels)]
    interpolation_ui("latent", model, data.images[maps.rows], names, selected or 0)
curve_section(data)
manifold_section()
link_ui("espace_latent", SETTINGS)
closing_ui("espace_latent")
