"""One file holds a trained model and its configuration; loading never unpickles arbitrary objects.

Loading checks everything a later use relies on, cheapest first, and allocates nothing large before
the checks: the file size, the uncompressed size of the archive's members (a deflate bomb), the
metadata's types, the configuration (validated, its parameter count bounded, its image shape that of
the dataset it names) and only then the weights, which must fit the configuration and be finite and
of a sane size, and the buffers, which must also lie in their domain (a variance is positive).
`check_outputs` then runs the model on a few images of its dataset. Whatever fails while a file is
read or its model built becomes a French `CheckpointError`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import asdict
from typing import Any

import torch
from torch import nn

from .build import build_model
from .data import DATASETS, SHAPES
from .errors import LearnerError
from .metrics import as_float
from .spec import ModelConfig

FORMAT = "atelier-autoencodeurs/checkpoint"
VERSION = 1
MAX_FILE_BYTES = 5 * 1024 * 1024  # the server's upload limit
MAX_UNPACKED_BYTES = 8 * 1024 * 1024  # MAX_PARAMETERS float32 weights and the file's small records
MAX_WEIGHT = 1e4  # trained weights stay far below; 1e30 or infinities can only output garbage
POSITIVE_BUFFERS = ("running_var", "ema_count")  # a code's variance (models.Standardise), a VQ code's use
CHECKED_IMAGES = 16


class CheckpointError(LearnerError):
    """The file is not a usable checkpoint of this app; the message is French."""


def save_checkpoint(model: nn.Module, config: ModelConfig, meta: dict[str, Any] | None = None) -> bytes:
    """The model's weights, its config and plain `meta` (dataset name, metrics…) as bytes."""
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "version": VERSION, "config": asdict(config),
                "meta": dict(meta or {}), "state_dict": state}, buf)
    return buf.getvalue()


UNREADABLE = ("Ce fichier n'est pas un modèle enregistré par l'atelier (fichier illisible, tronqué ou d'un "
              "autre format).")
DAMAGED = "Le fichier est abîmé : sa configuration et ses poids ne correspondent pas."


def _check_archive(data: bytes) -> None:
    """Refuse a file too large, or whose members would unpack beyond MAX_UNPACKED_BYTES, before torch reads it."""
    if len(data) > MAX_FILE_BYTES:
        size = f"{len(data) / 1e6:.1f}".replace(".", ",")
        raise CheckpointError(f"Fichier trop gros ({size}\u00a0Mo) : un modèle de l'atelier pèse 5\u00a0Mo au plus.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CheckpointError(UNREADABLE) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise CheckpointError("Ce fichier se décompresse en plus de 8\u00a0Mo : ce n'est pas un modèle de l'atelier.")


def _check_config(blob: dict) -> tuple[ModelConfig, dict[str, Any]]:
    """The validated config and meta of a loaded record; CheckpointError otherwise."""
    meta = blob.get("meta", {})
    if not isinstance(meta, dict) or not isinstance(meta.get("dataset", ""), str):
        raise CheckpointError("Les informations jointes au modèle sont illisibles (elles doivent nommer un jeu "
                              "de données).")
    raw = blob.get("config")
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise CheckpointError(DAMAGED)
    try:
        config = ModelConfig(**raw)
    except LearnerError as exc:  # SpecError: a French sentence about the size or shape
        raise CheckpointError(f"Ce modèle ne peut pas être chargé : {exc}") from exc
    except (TypeError, ValueError) as exc:  # unknown fields, values of the wrong type
        raise CheckpointError(DAMAGED) from exc
    dataset = meta.get("dataset")
    if dataset in SHAPES and config.image_shape != SHAPES[dataset]:
        raise CheckpointError(f"Ce modèle dit avoir été entraîné sur {DATASETS[dataset]}, mais il attend des "
                              f"images {'×'.join(map(str, config.image_shape[1:]))} : le fichier est incohérent.")
    return config, meta


def load_checkpoint(data: bytes) -> tuple[nn.Module, ModelConfig, dict[str, Any]]:
    """(model, config, meta) from bytes written by save_checkpoint; CheckpointError otherwise."""
    _check_archive(data)
    try:
        blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - truncated, corrupt and foreign files all land here
        raise CheckpointError(UNREADABLE) from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise CheckpointError("Ce fichier PyTorch ne vient pas de l'atelier : "
                              "téléchargez un modèle depuis la page « Entraîner ».")
    if blob.get("version") != VERSION:
        raise CheckpointError(f"Version de fichier non prise en charge : {blob.get('version')!r}.")
    config, meta = _check_config(blob)
    state = blob.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(DAMAGED)
    if not all(v.is_floating_point() and torch.isfinite(v).all() and v.abs().max() <= MAX_WEIGHT
               for v in state.values() if v.numel()):
        raise CheckpointError("Les poids de ce modèle sont infinis, indéfinis (NaN) ou démesurés : il ne "
                              "produirait que du bruit. Réentraînez-le puis téléchargez-le à nouveau.")
    if not all((v > 0).all() for k, v in state.items() if k.endswith(POSITIVE_BUFFERS)):
        raise CheckpointError("Ce modèle enregistre une variance ou un compte négatif ou nul : le fichier "
                              "a été modifié. Réentraînez-le puis téléchargez-le à nouveau.")
    try:
        model = build_model(config)
        model.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001 - missing, extra or misshapen weights, or a config torch refuses
        raise CheckpointError(DAMAGED) from exc
    model.eval()
    return model, config, dict(meta)


def check_outputs(model: nn.Module, images: torch.Tensor) -> None:
    """Refuse (CheckpointError) a model whose codes or reconstructions of the first CHECKED_IMAGES of
    `images` (N, C, H, W), its dataset's, are not finite numbers, or that fails on them."""
    try:
        with torch.no_grad():
            z = model.encode(as_float(images[:CHECKED_IMAGES]))
            finite = bool(torch.isfinite(z).all() and torch.isfinite(model.decode(z)).all())
    except Exception as exc:  # noqa: BLE001 - a model file must never crash a page
        raise CheckpointError(DAMAGED) from exc
    if not finite:
        raise CheckpointError("Ce modèle donne des nombres indéfinis (NaN) ou infinis sur les images de son "
                              "jeu de données : le fichier a été modifié. Réentraînez-le puis téléchargez-le.")
