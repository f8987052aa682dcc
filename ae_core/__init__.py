"""ae_core: datasets, autoencoders, objectives, training and metrics. Never imports Streamlit."""

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .data import (DATASETS, Dataset, DatasetUnavailable, load_dataset, make_manifold, to_float,
                   train_val_split)
from .metrics import (PCABaseline, compression_ratio, encode, linear_probe, per_sample_mse, psnr,
                      reconstruct, reconstruction_errors)
from .models import ConvAutoencoder, MLPAutoencoder, ModelConfig, build_model, count_parameters
from .objectives import corrupt, reconstruction_loss
from .train import History, TrainConfig, Trainer, TrainingDiverged, recipe, resolve_device

__all__ = [
    "DATASETS", "CheckpointError", "ConvAutoencoder", "Dataset", "DatasetUnavailable", "History",
    "MLPAutoencoder", "ModelConfig", "PCABaseline", "TrainConfig", "Trainer", "TrainingDiverged",
    "build_model", "compression_ratio", "corrupt", "count_parameters", "encode", "linear_probe",
    "load_checkpoint", "load_dataset", "make_manifold", "per_sample_mse", "psnr", "recipe",
    "reconstruct", "reconstruction_errors", "reconstruction_loss", "resolve_device",
    "save_checkpoint", "to_float", "train_val_split",
]
