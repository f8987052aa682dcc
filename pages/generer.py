"""Générer : autoencodeur et VAE — random draws judged alike, two latent maps, the encoder's law, β, blur."""

from functools import partial

import streamlit as st

from ae_core.latent import LatentPlane
from ae_core.recipes import BETAS, GENERATION_MAP_POINTS, beta_specs, generation_pair
from ae_core.rows import balanced_sample
from ui.address import Setting, apply_address, choice, control, link_ui
from ui.charts import plot
from ui.draw import drawing_ui
from ui.fmt import fr, fr_2dp
from ui.latent import decode_anywhere_ui, live_map, replay_ui
from ui.lesson import closing_ui, lesson_ui, prediction_ui
from ui.live import shared_models, shared_train_ui, train_ui
from ui.sections.generer import (
    beta_figure,
    codes_map,
    draws_ui,
    interpolation_pair_ui,
    judge,
    law_ui,
    map_with_prior,
    prior_scores,
    sharpness_ui,
)
from ui.shell import route_through_app
from ui.state import current_dataset, memo, persist, state

CODES = [2, 4, 8, 16]
SETTINGS = {"k": Setting("gen_latent", choice(CODES)), "beta": Setting("gen_beta", choice(list(BETAS)))}


def ctl(short, widget, *args, **kwargs):
    return control("generer", SETTINGS, short, widget, *args, **kwargs)


def maps_section(data, ae, vae, rows, labels, law):
    k = ae.config.latent_dim
    planes = {}
    for col, model, title in zip(st.columns(2), (ae, vae), ("Autoencodeur", "VAE")):
        codes = memo(f"gen_codes_{title}", state.gen.specs, lambda m=model: codes_map(m, data, rows))
        plane = LatentPlane(codes)
        xy = plane.to_2d(codes)
        planes[title] = plane, xy
        point, sigma = law if title == "VAE" and k == 2 else (None, None)
        plot(col, map_with_prior(xy, labels, data.class_names, title, k == 2, point, sigma), key=f"gen_map_{title}",
             caption=f"{title} : le code de chaque image, une couleur et une forme par classe.")
    if k == 2:
        st.caption("Pointillés : les cercles de rayon 1 et 2 de la loi a priori N(0, I), là où l'on tire les codes "
                   "pour générer. Les codes du VAE les remplissent en grande partie ; ceux de l'autoencodeur s'étalent "
                   "ailleurs.")
    else:
        st.caption(f"Codes de {k} nombres : chaque carte montre leurs deux premiers axes d'ACP ; les cercles "
                   "de la loi a priori ne s'y dessinent que pour un code de 2 nombres.")
    st.markdown("**Décoder n'importe quel point** : les trous de la carte de l'autoencodeur donnent des images "
                "qui ne ressemblent à rien ; celle du VAE est bien mieux remplie autour de l'origine, sans l'être "
                "partout.")
    for tab, model, title in zip(st.tabs(list(planes)), (ae, vae), planes):
        with tab:
            decode_anywhere_ui(f"gen_{title}", model, *planes[title])


def beta_section(data, k, finished=()):
    specs = beta_specs(data, k)
    histories = shared_train_ui("gen_beta", specs, data, "Entraîner les cinq VAE (β = 0 ; 0,5 ; 1 ; 2 ; 4)",
                                keep_models=True, finished=finished)
    if histories is None:
        st.caption("Cinq VAE, un par valeur de β, entraînés une seule fois par jeu de données et par taille de "
                   "code, pour toute la classe. Si vous avez entraîné la paire ci-dessus, son VAE est l'un des "
                   "cinq\u202f: il ne sera pas entraîné une seconde fois.")
        return
    models, (j, _) = shared_models(specs), judge(data.name)
    rec = [h.extra["reconstruction"][-1] for h in histories]
    kl = [h.extra["kl"][-1] for h in histories]
    active = [sum(v > 0.01 for v in h.extra["kl_dim"][-1]) for h in histories]
    plot(st, beta_figure(BETAS, rec, kl), key="gen_beta_chart",
         caption="Selon β, l'erreur de reconstruction et la divergence KL du code : l'une monte quand l'autre baisse.")
    scores = memo("gen_beta_scores", specs, lambda: [prior_scores(j, m) for m in models])
    st.table({"β": [fr_2dp(b) for b in BETAS], "reconstruction (nats)": [fr(v, ".1f") for v in rec],
              "KL (nats)": [fr(v, ".2f") for v in kl], f"dimensions actives (sur {k})": active,
              "confiance du juge dans les tirages": [fr(s["confidence"], ".2f") for s in scores],
              "diversité": [fr(s["diversity"], ".2f") for s in scores],
              "Fréchet": [fr(s["frechet"], ",.1f") for s in scores]})
    st.caption("Dernière époque d'entraînement. Une dimension est active quand son KL moyen dépasse "
               "$0{,}01$\u00a0nat : les autres copient la loi a priori et ne portent plus d'information "
               "(effondrement de la loi a posteriori).")


route_through_app()
st.title("Générer : autoencodeur et VAE")
lesson_ui("generer")
data = current_dataset()
persist(gen_latent=2, gen_beta=1.0)
apply_address("generer", SETTINGS)
c1, c2 = st.columns(2)
k = ctl("k", c1.select_slider, "Taille du code", CODES, help="2 : les cartes montrent les codes eux-mêmes.")
beta = ctl("beta", c2.select_slider, "β, le poids du terme KL du VAE", list(BETAS), format_func=fr_2dp,
           help="0 : pas de terme KL, σ tombe presque à zéro et l'on retrouve un autoencodeur ordinaire ; "
                "1 : le VAE standard ; plus : codes plus proches de N(0, I), reconstructions plus floues.")
link_ui("generer", SETTINGS)
prediction_ui("generer", "gen", started=state.get("gen") is not None)
run = train_ui("gen", generation_pair(data, k, beta), data, start_label="Entraîner l'autoencodeur puis le VAE",
               live=partial(live_map, data))
if k != 2:
    st.caption("Avec un code de 2 nombres, les cartes des codes se dessinent pendant l'entraînement.")
if run is not None and run.trained:
    ae, vae = (t.model.eval() for t in run.trainers)
    if k == 2:
        with st.expander("Revoir l'apprentissage des deux cartes, époque par époque"):
            replay_ui("gen_replay", data, list(run.trainers), ["Autoencodeur", "VAE"])
    rows = balanced_sample(data.labels, GENERATION_MAP_POINTS, 0, pool=run.trainers[0].val_idx)
    labels = data.labels[rows].numpy()
    names = [f"n° {int(r)} (classe {data.class_names[c]})" for r, c in zip(rows[:40], labels[:40])]
    st.header("Tirer au hasard")
    draws_ui(data, ae, vae, run.specs, run.trainers[0].train_idx)
    st.header("L'encodeur donne une loi, pas un point")
    left, right = st.columns([1, 2])
    with left:
        drawn = drawing_ui("gen_drawing", data.image_shape)
    with right:
        law = law_ui(data, vae, rows[:40], names, drawn)
    st.header("Deux cartes latentes")
    maps_section(data, ae, vae, rows, labels, law)
    st.header("Netteté")
    sharpness_ui(data, ae, vae, rows)
    st.header("Interpolation : autoencodeur contre VAE")
    interpolation_pair_ui(data, ae, vae, rows[:40], names)
st.header("Le compromis β")
beta_section(data, k, tuple(run.trainers) if run is not None and run.trained else ())  # the pair's VAE is one of five
closing_ui("generer")
