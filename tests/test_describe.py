import pytest
import torch

from ae_core import (
    Corruption,
    ModelConfig,
    RunSpec,
    TrainConfig,
    build_model,
    count_parameters,
    default_train,
    to_float,
)
from ae_core.describe import architecture_dot, pytorch_code


@pytest.mark.parametrize("config", [ModelConfig(image_shape=(1, 8, 8), latent_dim=2),
                                    ModelConfig("conv", (1, 8, 8), 4), ModelConfig("conv", (1, 8, 8), None),
                                    ModelConfig.course((1, 8, 8))])
@pytest.mark.parametrize("noise", ["none", "gaussian", "salt_pepper", "mask", "super_resolution"])
def test_generated_code_runs_and_learns(digits, config, noise):
    corruption = Corruption(noise, 0.2 if noise in ("gaussian", "salt_pepper", "mask") else 0.0)
    namespace = {}
    exec(pytorch_code(RunSpec("digits", config, default_train("digits", epochs=4), corruption)), namespace)
    model, losses = namespace["train"](to_float(digits.images[:256]))
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert count_parameters(model) == count_parameters(build_model(config))
    assert model(torch.rand(2, *config.image_shape)).shape == (2, *config.image_shape)


def test_code_follows_the_training_config():
    train = TrainConfig(loss="mse", schedule="constant", lr=0.003, epochs=7)
    code = pytorch_code(RunSpec("mnist", ModelConfig(), train))
    assert "F.mse_loss" in code and "OneCycleLR" not in code and "lr=0.003" in code and "epochs=7" in code
    assert "nn.Linear(784, 128)" in code and "nn.Linear(64, 12)" in code


def test_diagram_names_every_size():
    dot = architecture_dot(ModelConfig.course())
    for label in ("couche d'entrée x\\n1 × 28 × 28", "couche cachée\\n128", "64", "code z\\n12", "couche de sortie x̂"):
        assert label in dot
    assert dot.count("->") == 6
    conv = architecture_dot(ModelConfig("conv", (1, 28, 28), None))
    assert "16 × 14 × 14" in conv and "code z\\n32 × 7 × 7" in conv
