"""The generation page's pieces: the judge, random draws, the two latent maps, the encoder's law, β."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from ae_core import encode
from ae_core.generate import Judge, judge_references, model_samples, prior_codes, sharpness, train_judge
from ae_core.latent import decode_codes, interpolation
from ae_core.metrics import as_float, reconstruct
from ae_core.rows import balanced_sample
from ui.charts import class_marker, layout
from ui.errors import callback
from ui.fmt import fr
from ui.images import show_grid
from ui.lesson import outcome_ui
from ui.state import get_dataset, memo, state

SAMPLES = 1000  # images judged per model
SHOWN = 36  # images drawn in a grid
NAMES = {"vae": "VAE, codes tirés de N(0, I)", "ae": "autoencodeur, codes tirés de N(0, I)",
         "ae_fit": "autoencodeur, codes tirés d'une gaussienne ajustée à ses codes"}
OF = {"vae": "du VAE", "ae": "de l'autoencodeur tiré dans N(0, I)",  # « celle du VAE »
      "ae_fit": "de l'autoencodeur tiré dans la gaussienne ajustée"}


@st.cache_resource(show_spinner="Entraînement du juge : un petit classifieur des vraies images…")
def judge(dataset: str) -> tuple[Judge, dict[str, dict[str, float]]]:
    """The dataset's judge and its two reference rows, once per process."""
    data = get_dataset(dataset)
    j = train_judge(data)
    return j, judge_references(j, data, SAMPLES)


def judge_table(rows: dict[str, dict[str, float]]) -> None:
    st.table({"images": list(rows), "confiance du juge": [fr(r["confidence"], ".2f") for r in rows.values()],
              "diversité": [fr(r["diversity"], ".2f") for r in rows.values()],
              "distance de Fréchet": [fr(r["frechet"], ",.1f") for r in rows.values()]})


def draws_ui(data, ae, vae, key, train_idx) -> None:
    """« Tirer au hasard »: grids decoded from random codes, and the judge's three numbers for each."""
    j, references = judge(data.name)
    seed = state.setdefault("gen_draw", 0)
    st.button("Nouveau tirage", key="gen_redraw", on_click=callback(lambda: state.update(gen_draw=seed + 1)))
    train_images = data.images[balanced_sample(data.labels, 2000, 0, pool=train_idx)]  # for the fitted Gaussian

    def compute():
        images = {"vae": model_samples(vae, train_images, SAMPLES, seed, False),
                  "ae": model_samples(ae, train_images, SAMPLES, seed, False),
                  "ae_fit": model_samples(ae, train_images, SAMPLES, seed, True)}
        # The session keeps the grids only: 3,000 MNIST images would cost a learner 9 MB.
        return {name: x[:SHOWN] for name, x in images.items()}, {name: j.scores(x) for name, x in images.items()}

    images, scores = memo("gen_draws", (key, seed), compute)
    for col, name in zip(st.columns(3), images):
        col.markdown(f"**{NAMES[name][0].upper()}{NAMES[name][1:]}**")
        show_grid(images[name], ncols=6, where=col)
        s = scores[name]
        col.caption(f"confiance {fr(s['confidence'], '.2f')} · diversité {fr(s['diversity'], '.2f')} · "
                    f"Fréchet {fr(s['frechet'], ',.1f')}")
    judge_table({NAMES[n]: s for n, s in scores.items()} | references)
    st.caption(f"Chaque ligne juge {fr(SAMPLES, ',.0f')} images. Le juge est un petit classifieur entraîné sur "
               f"les vraies images ({fr(100 * j.accuracy, '.1f')} % d'exactitude en validation). "
               "Confiance du juge : sa probabilité moyenne pour la classe qu'il choisit ; diversité : 1 si "
               "les dix classes sont tirées autant, 0 si une seule ; "
               "distance de Fréchet : l'écart entre deux gaussiennes ajustées à ses "
               "caractéristiques internes, l'une sur ces images, l'autre sur les vraies images de validation (plus "
               f"bas, mieux c'est). C'est la formule de la FID, mais avec ce petit juge et {fr(SAMPLES, ',.0f')} "
               "images : ces nombres ne se comparent pas aux FID publiées. " + noise_note(scores, references["bruit"]))
    vae_fd, ae_fd = scores["vae"]["frechet"], scores["ae"]["frechet"]
    outcome_ui("generer", "gen", {"frechet": (vae_fd < ae_fd, (
        f"distance de Fréchet des tirages dans N(0, I)\u202f: {fr(vae_fd, ',.1f')} pour le VAE, "
        f"{fr(ae_fd, ',.1f')} pour l'autoencodeur ordinaire."))})


def noise_note(scores: dict[str, dict[str, float]], noise: dict[str, float]) -> str:
    """What the uniform-noise row shows on the table drawn: which of the judge's numbers it fools.

    It depends on the dataset (on MNIST the judge is confident on noise but the distance is not fooled;
    on the 8 × 8 digits noise gets the lowest confidence but beats the autoencoder drawn from N(0, I) on
    the distance), so the sentence is written from the numbers shown."""
    def names(rows):
        return " et ".join(filter(None, [", ".join(rows[:-1]), rows[-1]]))

    less_readable = [OF[n] for n, s in scores.items() if s["confidence"] < noise["confidence"]]
    farther = [OF[n] for n, s in scores.items() if s["frechet"] > noise["frechet"]]
    fooled = []
    if less_readable:
        fooled.append(f"le juge est plus sûr de lui devant le bruit ({fr(noise['confidence'], '.2f')}) que devant "
                      f"les tirages {names(less_readable)}")
    if farther:
        fooled.append(f"la distance du bruit, {fr(noise['frechet'], ',.1f')}, est plus basse que celle "
                      f"{names(farther)}")
    if not fooled:
        head = ("Ici, le bruit ne trompe ni la confiance du juge ni la distance de Fréchet (sur d'autres jeux de "
                "données, il trompe l'une ou l'autre)")
    else:
        which = ["la confiance du juge"] * bool(less_readable) + ["la distance de Fréchet"] * bool(farther)
        head = f"Ici, le bruit trompe {' et '.join(which)} : " + " ; ".join(fooled)
    return head + ". Aucun nombre ne suffit seul : lisez-les ensemble, à côté des deux lignes de référence."


def codes_map(model, data, rows) -> np.ndarray:
    return encode(model, data.images[rows]).numpy()


def map_with_prior(xy: np.ndarray, labels: np.ndarray, class_names, title: str, circles: bool,
                   point=None, sigma=None) -> go.Figure:
    """Codes coloured by class; the prior's 1σ and 2σ circles; an optional point μ with its σ ellipse."""
    fig = go.Figure()
    for c, name in enumerate(class_names):
        pos = labels == c
        fig.add_scatter(x=xy[pos, 0].tolist(), y=xy[pos, 1].tolist(), mode="markers", name=name,
                        marker=class_marker(c, 6, 0.75), hovertemplate=f"classe {name}<extra></extra>")
    if circles:
        for r in (1, 2):
            fig.add_shape(type="circle", x0=-r, y0=-r, x1=r, y1=r, line=dict(color="black", dash="dot"))
    if point is not None:
        fig.add_scatter(x=[point[0]], y=[point[1]], mode="markers", name="μ de l'image",
                        marker=dict(size=16, symbol="x", color="black"))
        if sigma is not None:
            fig.add_shape(type="circle", x0=point[0] - sigma[0], x1=point[0] + sigma[0],
                          y0=point[1] - sigma[1], y1=point[1] + sigma[1], line=dict(color="black", width=3))
    fig.update_layout(title=title)
    fig.update_yaxes(scaleanchor="x")  # circles look round
    layout(fig, 420, xaxis_title="z1", yaxis_title="z2")
    return fig.update_layout(legend=dict(orientation="v", y=1, title="classe"))


@torch.no_grad()
def law_ui(data, vae, rows, names, drawn=None) -> tuple[np.ndarray, np.ndarray]:
    """« L'encodeur donne une loi, pas un point »: μ and σ of one image (or of `drawn`), and codes
    redrawn from them; returns (μ, σ)."""
    choice = st.selectbox("Image", range(len(rows)), format_func=names.__getitem__, key="gen_law_image")
    x = drawn if drawn is not None else as_float(data.images[rows[choice]:rows[choice] + 1])
    if drawn is not None:
        st.caption("Votre dessin remplace l'image choisie : effacez-le pour y revenir.")
    mu, logvar = vae.encode_dist(x)
    sigma = (0.5 * logvar).exp()
    seed = state.setdefault("gen_eps", 0)
    st.button("Tirer de nouveaux ε", key="gen_redraw_eps",
              on_click=callback(lambda: state.update(gen_eps=seed + 1)),
              help="Tire huit nouveaux ε ~ N(0, I) : z = μ + σ·ε, puis décode.")
    eps = torch.randn(8, mu.shape[1], generator=torch.Generator().manual_seed(seed))
    images = decode_codes(vae, mu + sigma * eps)
    st.markdown("μ = (" + " ; ".join(fr(v, ".2f") for v in mu[0].tolist()) + ")  \nσ = ("
                + " ; ".join(fr(v, ".2f") for v in sigma[0].tolist()) + ")")
    show_grid(torch.cat([x, images]), ncols=9, caption="À gauche l'image ; puis huit décodages de z = μ + σ·ε.")
    return mu[0].numpy(), sigma[0].numpy()


def prior_scores(j: Judge, model) -> dict[str, float]:
    """The judge's numbers for SAMPLES images decoded from N(0, I) codes (seed 0)."""
    return j.scores(decode_codes(model, prior_codes(SAMPLES, model.config.latent_dim, 0)))


def beta_figure(betas, rec, kl) -> go.Figure:
    fig = go.Figure([go.Scatter(x=list(betas), y=rec, name="reconstruction (nats par image)", mode="lines+markers"),
                     go.Scatter(x=list(betas), y=kl, name="KL (nats par image)", mode="lines+markers", yaxis="y2")])
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", title="KL", tickformat=".0f", nticks=6))
    return layout(fig, 320, xaxis_title="β", yaxis_title="reconstruction")


def sharpness_ui(data, ae, vae, rows) -> None:
    """« Netteté »: real images, reconstructions and samples, each with its mean gradient magnitude."""
    real = as_float(data.images[rows[:SHOWN]])
    sets = {"vraies images": real, "reconstructions du VAE": reconstruct(vae, real),
            "reconstructions de l'autoencodeur": reconstruct(ae, real),
            "tirages du VAE": model_samples(vae, real, SHOWN, 0, False)}
    for col, (name, x) in zip(st.columns(4), sets.items()):
        col.markdown(f"**{name[0].upper()}{name[1:]}**")
        show_grid(x[:16], ncols=4, where=col)
        col.metric("Netteté", fr(sharpness(x), ".3f"), help="Moyenne de la norme du gradient des pixels.")


def interpolation_pair_ui(data, ae, vae, rows, names) -> None:
    """The straight line between two codes, decoded by the autoencoder and by the VAE."""
    a, b = st.columns(2)
    i = a.selectbox("Départ", range(len(rows)), format_func=names.__getitem__, key="gen_from")
    other = next((j for j in range(len(rows)) if data.labels[rows[j]] != data.labels[rows[0]]), min(1, len(rows) - 1))
    k = b.selectbox("Arrivée", range(len(rows)), index=other, format_func=names.__getitem__, key="gen_to",
                    help="Par défaut, la première image d'une autre classe que celle de départ.")
    x0, x1 = data.images[rows[i]], data.images[rows[k]]
    for name, model in (("Autoencodeur", ae), ("VAE", vae)):
        decoded, _ = interpolation(model, x0, x1, 9)
        show_grid(decoded, ncols=9, caption=name)
