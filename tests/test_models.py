import pytest
import torch
from torch import nn

from ae_core import ConvAutoencoder, MLPAutoencoder, ModelConfig, SpecError, build_model, count_parameters


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8)])
@pytest.mark.parametrize("arch,latent", [("mlp", 2), ("mlp", 12), ("conv", 5), ("conv", None)])
def test_encode_decode_shapes(shape, arch, latent):
    config = ModelConfig(arch, shape, latent)
    model = build_model(config)
    x = torch.rand(3, *shape)
    z = model.encode(x)
    assert z.shape == (3, config.code_dim)
    x_hat = model.decode(z)
    assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1
    assert torch.allclose(model(x), x_hat)
    assert torch.allclose(torch.sigmoid(model.decode_logits(z)), x_hat)


def test_course_preset_matches_the_course():
    model = build_model(ModelConfig.course())
    assert isinstance(model, MLPAutoencoder)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (784, 128), (128, 64), (64, 12), (12, 64), (64, 128), (128, 784)]
    assert isinstance(model.encoder[-1], nn.ReLU)  # the ReLU after the bottleneck
    assert isinstance(model.output, nn.Sigmoid)
    assert count_parameters(model) == 219_804


def test_course_conv_layers():
    model = build_model(ModelConfig("conv", (1, 28, 28), None))
    assert isinstance(model, ConvAutoencoder)
    convs = [(m.in_channels, m.out_channels, m.stride[0]) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert convs == [(1, 16, 2), (16, 32, 2), (32, 16, 2), (16, 1, 2)]
    assert model.encode(torch.rand(1, 1, 28, 28)).shape == (1, 32 * 7 * 7)


def test_linear_output_is_unbounded():
    model = build_model(ModelConfig("mlp", (1, 1, 5), 2, (8,), output="linear"))
    with torch.no_grad():
        z = torch.tensor([[-1e4, 1e4], [1e4, -1e4]])
        x_hat = model.decode(z)
    assert x_hat.min() < -1 and x_hat.max() > 2  # a sigmoid would have kept it in [0, 1]
    torch.testing.assert_close(x_hat, model.decode_logits(z))


def test_same_seed_same_weights_other_seed_differs():
    a, b, c = (build_model(ModelConfig(), seed=s) for s in (1, 1, 2))
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


def test_init_leaves_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    build_model(ModelConfig(), seed=5)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("kwargs,match", [
    (dict(latent_dim=0), "taille du code"),
    (dict(hidden=()), "couche cachée"),
    (dict(arch="transformer"), "Architecture inconnue"),
    (dict(bottleneck="tanh"), "goulot"),
    (dict(latent_dim=None), "Seul le modèle convolutif"),
    (dict(arch="conv", image_shape=(1, 10, 10)), "multiples de 4"),
    (dict(image_shape=(28, 28)), "forme des images"),
    (dict(output="softmax"), "Sortie inconnue"),
])
def test_bad_configs_raise_a_french_spec_error(kwargs, match):
    with pytest.raises(SpecError, match=match):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("config", [
    ModelConfig(), ModelConfig("mlp", (1, 8, 8), 3, (16,)), ModelConfig("conv", (1, 28, 28), 8),
    ModelConfig("conv", (1, 28, 28), None), ModelConfig("conv", (1, 8, 8), 4, variational=True),
    ModelConfig("mlp", (1, 8, 8), 3, (16,), variational=True),
    ModelConfig("vq", (1, 28, 28), 16, codebook=64, downsample=2), ModelConfig("vq", (1, 8, 8), 4, downsample=1),
    ModelConfig("mlp", (1, 8, 8), 12, (32,), "standardised", penalty="contractive", weight=1e-3)],
    ids=lambda c: f"{c.arch}-{c.latent_dim}-{'vae' if c.variational else c.penalty}")
def test_the_parameter_count_is_the_built_models(config):
    """ModelConfig counts without building (to refuse a model too large before it exists): the same count."""
    assert config.parameter_count == count_parameters(build_model(config))
