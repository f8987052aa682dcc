"""Plotly figures the pages show, built from plain arrays, with one layout for all."""

from __future__ import annotations

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from PIL import Image
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from ae_core import History
from ae_core.anomaly import confusion_at
from ui.fmt import fr
from ui.state import state

COLORS = px.colors.qualitative.Plotly
# Ten classes told apart without colour vision: Okabe and Ito's palette (safe for the common colour
# blindnesses) plus two greys, and a marker shape per class.
CLASS_COLORS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
                "#999999", "#5A3E1B"]
CLASS_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star", "pentagon",
                 "hexagon"]


def class_marker(c: int, size: int, opacity: float) -> dict:
    """The marker of class `c` on every map: its colour and its shape."""
    return dict(size=size, opacity=opacity, color=CLASS_COLORS[c % 10], symbol=CLASS_SYMBOLS[c % 10])
# Above 1,000 points Plotly switches to WebGL, whose points cannot be clicked as SVG ones can.
MAP_POINTS = 1000


def layout(fig: go.Figure, height: int = 340, legend: bool = True, **kwargs) -> go.Figure:
    """The app's figure layout: small margins, French axis titles given by the caller, legend on top."""
    top = 40 if fig.layout.title.text else 30
    if state.get("class_mode"):  # mode classe: larger figures and letters, read from the back of the room
        height, kwargs = round(height * 1.3), {"font": dict(size=18), **kwargs}
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=10), showlegend=legend,
                      legend=dict(orientation="h", y=1.15), separators=",\u202f", **kwargs)  # 12 345,6
    return fig


def loss_figure(history: History, log_y: bool = False, diverged_at: int | None = None,
                held_out: str = "validation", steps_per_epoch: int = 1) -> go.Figure:
    """Training and held-out loss per epoch (`held_out` names the second set: validation or test), and
    the loss of every batch, placed at its fraction of an epoch."""
    epochs = list(range(1, len(history.train_loss) + 1))
    batches = [(i + 1) / steps_per_epoch for i in range(len(history.batch_loss))]
    few = len(batches) <= 50  # a teacher stepping: each batch a visible point, even the first
    fig = go.Figure([go.Scatter(x=batches, y=history.batch_loss, name="chaque lot", mode="lines+markers" if few
                                else "lines", line=dict(width=1, color="#c7c7c7"), marker=dict(size=6)),
                     go.Scatter(x=epochs, y=history.train_loss, name="entraînement", mode="lines+markers",
                                line=dict(color="#0068c9")),
                     go.Scatter(x=epochs, y=history.val_loss, name=held_out, mode="lines+markers",
                                line=dict(color="#83c9ff"))])
    if diverged_at is not None:
        fig.add_vline(x=diverged_at + 1, line_dash="dash", line_color="red", annotation_text="divergence")
    fig.update_yaxes(type="log" if log_y else "linear")
    return layout(fig, 300, xaxis_title="époque", yaxis_title="perte")


def saved_loss_figure(history: History) -> go.Figure:
    """loss_figure of a finished training, its batches spread evenly over its epochs."""
    return loss_figure(history, steps_per_epoch=max(1, len(history.batch_loss) // max(1, len(history.train_loss))))


# --- latent space -----------------------------------------------------------------------------

def map_figure(xy: np.ndarray, labels: np.ndarray, class_names, title: str, selected: int | None,
               drawn: np.ndarray | None = None) -> go.Figure:
    """One SVG trace per class, same colours in every map; customdata holds the sample position.
    `drawn` (2,) marks where the learner's drawing lands."""
    fig = go.Figure()
    for c, name in enumerate(class_names):
        pos = np.flatnonzero(labels == c)
        fig.add_scatter(x=xy[pos, 0].tolist(), y=xy[pos, 1].tolist(), mode="markers", name=name,
                        customdata=[[int(i)] for i in pos], marker=class_marker(c, 7, 0.85),
                        hovertemplate=f"classe {name}<extra></extra>")
    if selected is not None:
        fig.add_scatter(x=[float(xy[selected, 0])], y=[float(xy[selected, 1])], mode="markers",
                        name="sélection", customdata=[[selected]],
                        marker=dict(size=18, symbol="circle-open", color="black", line=dict(width=3)))
    if drawn is not None:
        fig.add_scatter(x=[float(drawn[0])], y=[float(drawn[1])], mode="markers", name="votre dessin",
                        marker=dict(size=22, symbol="star", color="gold", line=dict(width=2, color="black")),
                        hovertemplate="votre dessin<extra></extra>")
    fig.update_layout(title=title)
    layout(fig, 460, xaxis_title="axe 1", yaxis_title="axe 2")
    return fig.update_layout(legend=dict(orientation="v", y=1, title="classe"))


def code_figure(z: np.ndarray) -> go.Figure:
    """The values of one code z, one bar per unit."""
    fig = go.Figure(go.Bar(x=[f"z{i + 1}" for i in range(len(z))], y=z.tolist(), marker_color="#f2b705",
                           hovertemplate="%{x} = %{y:.3f}<extra></extra>"))
    fig.update_layout(title="Le code z de votre dessin")
    return layout(fig, 240, legend=False, yaxis_title="valeur")


def grid_figure(grid: np.ndarray, low, high, n: int, xy: np.ndarray, point) -> go.Figure:
    """The decoded mosaic (uint8) laid over the map's extent, the sample's points and the chosen point on top."""
    cell = (high - low) / (n - 1)
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name="échantillon",
                               marker=dict(size=4, color="rgba(230,60,60,0.5)")))
    fig.add_scatter(x=[point[0]], y=[point[1]], mode="markers", name="point choisi",
                    marker=dict(size=16, symbol="x", color="deepskyblue"))
    fig.add_layout_image(source=Image.fromarray(grid), xref="x", yref="y", x=low[0] - cell[0] / 2,
                         y=high[1] + cell[1] / 2, sizex=high[0] - low[0] + cell[0],
                         sizey=high[1] - low[1] + cell[1], sizing="stretch", layer="below")
    axis = [dict(range=[low[i] - cell[i] / 2, high[i] + cell[i] / 2], showgrid=False, zeroline=False)
            for i in (0, 1)]
    return layout(fig, 520, legend=False, xaxis=axis[0], yaxis=axis[1])


def error_curve_figure(pca_ks, pca_errors, ae_ks=None, ae_errors=None, held_out: str = "validation") -> go.Figure:
    """Held-out MSE per pixel against code size: PCA for every k, the autoencoders where trained."""
    fig = go.Figure(go.Scatter(x=list(pca_ks), y=list(pca_errors), mode="lines+markers", name="ACP"))
    if ae_ks is not None:
        fig.add_scatter(x=list(ae_ks), y=list(ae_errors), mode="lines+markers", name="autoencodeur",
                        marker=dict(size=10))
    return layout(fig, 380, xaxis_title="taille du code k", yaxis_title=f"MSE par pixel ({held_out})")


def cloud_figure(points: np.ndarray, t: np.ndarray, title: str) -> go.Figure:
    """A 3-D point cloud coloured by its position along the sheet."""
    fig = px.scatter_3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], color=t, title=title,
                        labels={"color": "position sur la feuille"})
    fig.update_traces(marker_size=3).update_layout(scene_camera=dict(eye=dict(x=0.9, y=0.9, z=0.6)))
    return layout(fig, 460, legend=False)


def flat_map_figure(xy: np.ndarray, t: np.ndarray, title: str) -> go.Figure:
    """A 2-D map of a point cloud, coloured like cloud_figure."""
    fig = px.scatter(x=xy[:, 0], y=xy[:, 1], color=t, title=title, render_mode="svg",
                     labels={"x": "axe 1", "y": "axe 2", "color": "position"})
    return layout(fig.update_layout(coloraxis_showscale=False), 400, legend=False)


# --- restoration ------------------------------------------------------------------------------

CURVE_COLORS = {"entrée bruitée": "#9ca3af", "autoencodeur simple": "#2563eb", "autoencodeur débruiteur": "#dc2626"}


def noise_curve_figure(levels, curves: dict[str, list[float]], level: float) -> go.Figure:
    """PSNR against noise level, one line per restorer, the chosen level marked."""
    fig = go.Figure([go.Scatter(x=levels, y=ys, name=name, mode="lines+markers",
                                line_color=CURVE_COLORS.get(name, "#f59e0b"),  # the filter: orange
                                line_dash="solid" if name.startswith("autoencodeur") else "dash")
                     for name, ys in curves.items()])
    fig.add_vline(x=level, line_dash="dot", annotation_text="niveau choisi")
    return layout(fig, 360, xaxis_title="niveau de bruit", yaxis_title="PSNR (dB)")


# --- signals ----------------------------------------------------------------------------------

def signal_figure(traces: dict[str, np.ndarray], rate: float | None, title: str = "") -> go.Figure:
    """Signals (L,) overlaid against time in milliseconds (or sample index when `rate` is None), the first
    drawn thickest (the reference)."""
    fig = go.Figure()
    for i, (name, y) in enumerate(traces.items()):
        t = (np.arange(len(y)) * (1000 / rate if rate else 1)).tolist()
        fig.add_scatter(x=t, y=np.asarray(y, dtype=float).tolist(), name=name, mode="lines",
                        line=dict(width=3 if i == 0 else 1.5, color=COLORS[i % len(COLORS)]))
    fig.update_layout(title=title)
    return layout(fig, 320, xaxis_title="temps (ms)" if rate else "échantillon",
                  yaxis_title="amplitude (écarts types)")


def snr_curve_figure(levels: list[float], curves: dict[str, list[float]], level: float) -> go.Figure:
    """SNR (dB) of each method against the noise level, the current level marked."""
    fig = go.Figure([go.Scatter(x=levels, y=v, name=name, mode="lines+markers") for name, v in curves.items()])
    fig.add_vline(x=level, line_dash="dot", line_color="grey")
    return layout(fig, 340, xaxis_title="niveau de bruit (en écarts types du signal)", yaxis_title="SNR (dB)")


def rate_figure(curves: dict[str, list[tuple[float, float, str]]], budget: float, x_title: str) -> go.Figure:
    """SNR (dB) against a cost, one line per method of (cost, SNR, setting) points, the setting on hover;
    the chosen budget as a black line."""
    fig = go.Figure()
    for (name, points), color in zip(curves.items(), COLORS):
        fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], text=[p[2] for p in points], name=name,
                        mode="lines+markers", marker_color=color,
                        hovertemplate="%{text}<br>%{x:.0f}\u00a0octets par seconde, %{y:.1f}\u00a0dB")
    fig.add_vline(x=budget, line_color="black")
    fig.update_xaxes(tickformat=",d")  # 1 500, with the layout's separators
    return layout(fig, 360, xaxis_title=x_title, yaxis_title="SNR (dB)")


# --- anomalies --------------------------------------------------------------------------------

def histogram(values: np.ndarray, is_anomaly: np.ndarray | None, threshold: float, log_x: bool) -> go.Figure:
    """Overlaid score histograms (normal vs anomalies) on shared bins, with the threshold line."""
    f = np.log10 if log_x else (lambda v: v)
    x = f(np.maximum(values, 1e-12))
    groups = [("tous", x, "#2563eb")] if is_anomaly is None else [("normaux", x[~is_anomaly], "#2563eb"),
                                                                 ("anomalies", x[is_anomaly], "#f97316")]
    bins = dict(start=float(x.min()), end=float(x.max()), size=float(x.max() - x.min()) / 60 or 1.0)
    fig = go.Figure([go.Histogram(x=v, name=name, opacity=0.6, xbins=bins, marker_color=color)
                     for name, v, color in groups])
    fig.add_vline(x=float(f(max(threshold, 1e-12))), line_dash="dash", line_color="red", annotation_text="seuil")
    return layout(fig, 320, barmode="overlay", xaxis_title="log₁₀(score)" if log_x else
                  "score (erreur de reconstruction)", yaxis_title="nombre d'exemples")


def roc_pr_figures(s: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> tuple[go.Figure, go.Figure]:
    """ROC and precision-recall curves (anomalies are the positives), the current threshold marked on both."""
    c = confusion_at(s, is_anomaly, threshold)
    fpr, tpr, _ = roc_curve(is_anomaly, s)
    precision, recall, _ = precision_recall_curve(is_anomaly, s)
    roc = go.Figure([go.Scatter(x=fpr, y=tpr, name="ROC", mode="lines"),
                     go.Scatter(x=[0, 1], y=[0, 1], name="hasard", mode="lines", line_dash="dot"),
                     go.Scatter(x=[c.fpr], y=[c.recall], name="seuil actuel", mode="markers",
                                marker=dict(size=12, color="red"))])
    roc.update_layout(title=f"ROC · AUC = {fr(roc_auc_score(is_anomaly, s), '.3f')}")
    pr = go.Figure([go.Scatter(x=recall, y=precision, name="précision-rappel", mode="lines"),
                    go.Scatter(x=[c.recall], y=[c.precision], name="seuil actuel", mode="markers",
                               marker=dict(size=12, color="red"))])
    pr.update_layout(title=f"Précision-rappel · AP = {fr(average_precision_score(is_anomaly, s), '.3f')}")
    return (layout(roc, legend=False, xaxis_title="taux de faux positifs",
                   yaxis_title="taux de vrais positifs (rappel)"),
            layout(pr, legend=False, xaxis_title="rappel", yaxis_title="précision"))


def describe(fig: go.Figure) -> str:
    """A French text alternative for a chart: its title, its axes and its curves."""
    title = fig.layout.title.text or "Graphique"
    axes = [f"en {where}, {axis.title.text}" for where, axis in (("abscisse", fig.layout.xaxis),
                                                                ("ordonnée", fig.layout.yaxis)) if axis.title.text]
    names = list(dict.fromkeys(t.name for t in fig.data if t.name))
    parts = [title, *axes] + ([f"séries\u202f: {', '.join(names[:12])}"] if names else [])
    return "\u202f; ".join(parts) + "."


def plot(where, fig: go.Figure, *, caption: str, **kwargs):
    """`where.plotly_chart(fig, …)` with the chart's text alternative, for screen readers, and below it
    `caption`, one visible sentence saying what the chart shows; returns what plotly_chart returns
    (the selection, for a chart with `on_select`)."""
    # No Plotly toolbar: it covers the legend on a phone and speaks English to screen readers.
    kwargs.setdefault("config", {"displayModeBar": False})
    shown = where.plotly_chart(fig, alt=kwargs.pop("alt", None) or describe(fig), **kwargs)
    where.caption(caption)
    return shown
