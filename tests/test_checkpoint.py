import io
import pickle

import pytest
import torch

from ae_core import CheckpointError, ModelConfig, build_model, load_checkpoint, save_checkpoint


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


SMALL = ModelConfig(image_shape=(1, 8, 8), latent_dim=3)


def saved(config=SMALL, seed=4):
    return save_checkpoint(build_model(config, seed), config, {"dataset": "digits", "val_mse": 0.01})


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_round_trip():
    config = ModelConfig("conv", (1, 8, 8), 5)
    model = build_model(config, seed=2)
    loaded, loaded_config, meta = load_checkpoint(save_checkpoint(model, config, {"dataset": "digits"}))
    assert loaded_config == config and meta == {"dataset": "digits"} and not loaded.training
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(loaded(x), model.eval()(x))


@pytest.mark.parametrize("make_bad,match", [
    (lambda good: good[: len(good) // 2], "illisible"),                              # truncated
    (lambda good: b"\x00" * 100, "illisible"),                                      # garbage
    (lambda good: b"a,b\n1,2\n", "illisible"),                                      # another file type
    (lambda good: pickle.dumps(Evil()), "illisible"),                               # a pickle bomb
    (lambda good: torch_bytes({"x": Evil()}), "illisible"),                         # unsafe torch file
    (lambda good: torch_bytes(build_model(ModelConfig()).state_dict()), "ne vient pas"),  # foreign
])
def test_bad_files(make_bad, match, capsys):
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(make_bad(saved()))
    assert "must never run" not in capsys.readouterr().out


def test_mismatched_config_and_weights():
    blob = torch.load(io.BytesIO(saved()), weights_only=True)
    blob["config"]["latent_dim"] = 7
    with pytest.raises(CheckpointError, match="abîmé"):
        load_checkpoint(torch_bytes(blob))
    blob["config"]["latent_dim"] = 0  # invalid config
    with pytest.raises(CheckpointError, match="abîmé"):
        load_checkpoint(torch_bytes(blob))


def test_unknown_version():
    blob = torch.load(io.BytesIO(saved()), weights_only=True)
    blob["version"] = 99
    with pytest.raises(CheckpointError, match="Version"):
        load_checkpoint(torch_bytes(blob))
