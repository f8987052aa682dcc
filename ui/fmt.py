"""Numbers and models written for French readers, and the few values a learner types."""

from __future__ import annotations

from ae_core import ModelConfig, SpecError


def fr(value: float, spec: str = ".4f") -> str:
    """A number written the French way: 12 345,6 (decimal comma, narrow space between thousands)."""
    return format(value, spec).replace(",", "\u202f").replace(".", ",")


def fr_2dp(value: float) -> str:
    """A level between 0 and 1 with two decimals, for a slider's labels: 0,35."""
    return fr(value, ".2f")


def seconds(value: float) -> str:
    return f"{fr(value, '.1f')}\u00a0s"


def duration(value: float) -> str:
    """A duration said roughly, as a person would: « 8 s », « 40 s », « 2 min 30 s » (to 10 s past a minute)."""
    if value < 1:
        return "moins d'une seconde"
    if value < 59.5:
        return f"{round(value)}\u00a0s"
    minutes, rest = divmod(round(value / 10) * 10, 60)
    return f"{minutes}\u00a0min" + (f" {rest}\u00a0s" if rest else "")


def model_summary(config: ModelConfig) -> str:
    """A short French description of a model configuration."""
    if config.arch == "vq":
        return f"VQ-VAE : une grille de codes choisis parmi {config.codebook}"
    arch = "perceptron multicouche" if config.arch == "mlp" else "convolutif"
    arch += " variationnel (VAE)" if config.variational else ""
    if config.latent_dim is None:
        return f"{arch}, sans goulot : code plus grand que l'image ({config.code_dim} nombres)"
    return f"{arch}, espace latent de dimension {config.latent_dim}"


def slider_values(start: float, stop: float, step: float = 0.05) -> list[float]:
    """Values from start to stop (both included) for a select_slider, whose labels `fr` writes the
    French way (a float st.slider shows a decimal point)."""
    return [round(start + i * step, 4) for i in range(round((stop - start) / step) + 1)]


def held_out(data, rows=None) -> str:
    """The name of the rows a model is measured on: MNIST's official test set ("test"), or rows held
    out of the training data ("validation": digits, tables, and every one-class split)."""
    official = data.n_train < len(data) and not (rows is not None and rows.normal)
    return "test" if official else "validation"


def parse_widths(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); SpecError with a French message otherwise."""
    try:
        widths = tuple(int(w) for w in text.replace(";", ",").split(",") if w.strip())
    except ValueError:
        raise SpecError("Largeurs : écrivez des nombres entiers séparés par des virgules, "
                        "par exemple « 128, 64 ».") from None
    if not 1 <= len(widths) <= 4 or not all(1 <= w <= 1024 for w in widths):
        raise SpecError("Largeurs : donnez de 1 à 4 largeurs, chacune entre 1 et 1024.")
    return widths
