"""One file holds a trained model and its configuration; loading never unpickles arbitrary objects."""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Any

import torch
from torch import nn

from .models import ModelConfig, build_model

FORMAT = "atelier-autoencodeurs/checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """The file is not a readable checkpoint of this app; the message is French."""


def save_checkpoint(model: nn.Module, config: ModelConfig, meta: dict[str, Any] | None = None) -> bytes:
    """The model's weights, its config and plain `meta` (dataset name, metrics…) as bytes."""
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "version": VERSION, "config": asdict(config),
                "meta": dict(meta or {}), "state_dict": state}, buf)
    return buf.getvalue()


def load_checkpoint(data: bytes) -> tuple[nn.Module, ModelConfig, dict[str, Any]]:
    """(model, config, meta) from bytes written by save_checkpoint; CheckpointError otherwise."""
    try:
        blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - truncated, corrupt and foreign files all land here
        raise CheckpointError("Ce fichier n'est pas un modèle enregistré par l'atelier "
                              "(fichier illisible, tronqué ou d'un autre format).") from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise CheckpointError("Ce fichier PyTorch ne vient pas de l'atelier : "
                              "téléchargez un modèle depuis la page « Entraîner ».")
    if blob.get("version") != VERSION:
        raise CheckpointError(f"Version de fichier non prise en charge : {blob.get('version')!r}.")
    try:
        config = ModelConfig(**blob["config"])
        model = build_model(config)
        model.load_state_dict(blob["state_dict"])
    except Exception as exc:  # noqa: BLE001 - bad config or weights that do not fit it
        raise CheckpointError("Le fichier est abîmé : sa configuration et ses poids "
                              "ne correspondent pas.") from exc
    model.eval()
    return model, config, dict(blob.get("meta") or {})
