"""ae_core: datasets, autoencoders, run specifications, training and metrics. Never imports Streamlit."""

from .baselines import PCABaseline, linear_probe, pca_error_curve, trustworthiness
from .build import build_model, count_parameters
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .corruption import Corruption, corrupt
from .data import DATASETS, Dataset, DatasetUnavailable, load_dataset, make_manifold, manifold_dataset, to_float
from .errors import LearnerError, SpecError
from .metrics import compression_ratio, encode, per_sample_mse, psnr, reconstruct, reconstruction_errors
from .models import Autoencoder, ConvAutoencoder, MLPAutoencoder
from .objectives import reconstruction_loss
from .recipes import default_spec, default_train
from .rows import train_val_split
from .spec import ModelConfig, Rows, RunSpec, TrainConfig
from .train import History, Trainer, TrainingDiverged, build_trainer, resolve_device

__all__ = [
    "DATASETS", "Autoencoder", "CheckpointError", "ConvAutoencoder", "Corruption", "Dataset", "DatasetUnavailable",
    "History", "LearnerError", "MLPAutoencoder", "ModelConfig", "PCABaseline", "Rows", "RunSpec", "SpecError",
    "TrainConfig", "Trainer", "TrainingDiverged", "build_model", "build_trainer", "compression_ratio", "corrupt",
    "count_parameters", "default_spec", "default_train", "encode", "linear_probe", "load_checkpoint",
    "load_dataset", "make_manifold", "manifold_dataset", "pca_error_curve", "per_sample_mse", "psnr",
    "reconstruct", "reconstruction_errors", "reconstruction_loss", "resolve_device", "save_checkpoint",
    "to_float", "train_val_split", "trustworthiness",
]
