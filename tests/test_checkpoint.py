import dataclasses
import io
import pickle
import zipfile

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ae_core import CheckpointError, ModelConfig, SpecError, build_model, load_checkpoint, save_checkpoint
from ae_core.checkpoint import MAX_FILE_BYTES, check_outputs
from ae_core.spec import MAX_PARAMETERS


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
    blob["config"]["latent_dim"] = 0  # invalid config: the reason is given
    with pytest.raises(CheckpointError, match="taille du code"):
        load_checkpoint(torch_bytes(blob))
    blob["config"] = {**blob["config"], "colour": "bleu"}  # a field this app does not know
    with pytest.raises(CheckpointError, match="abîmé"):
        load_checkpoint(torch_bytes(blob))


def test_unknown_version():
    blob = torch.load(io.BytesIO(saved()), weights_only=True)
    blob["version"] = 99
    with pytest.raises(CheckpointError, match="Version"):
        load_checkpoint(torch_bytes(blob))


def edited(edit) -> bytes:
    """A valid checkpoint record, changed by edit(blob), saved again."""
    blob = torch.load(io.BytesIO(saved()), weights_only=True)
    edit(blob)
    return torch_bytes(blob)


def set_weights(value):
    def edit(blob):
        name = next(iter(blob["state_dict"]))
        blob["state_dict"][name] = torch.full_like(blob["state_dict"][name], value)
    return edit


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e30])
def test_weights_that_can_only_output_garbage_are_refused(value):
    with pytest.raises(CheckpointError, match="infinis"):
        load_checkpoint(edited(set_weights(value)))


@pytest.mark.parametrize("edit,match", [
    (lambda b: b.update(meta=["digits"]), "informations"),                         # meta not a mapping
    (lambda b: b["meta"].update(dataset=7), "informations"),                       # dataset not a string
    (lambda b: b.update(config="mlp"), "abîmé"),                                   # config not a mapping
    (lambda b: b["config"].update(image_shape=(1, 28, 28)), "incohérent"),         # 28 x 28 labelled digits
    (lambda b: b["config"].update(arch="conv", image_shape=(1, 40000, 40000), latent_dim=None), "trop"),
    (lambda b: b["config"].update(hidden=(3_000_000,)), "poids"),                  # 2.4 billion weights declared
    (lambda b: b["state_dict"].update(extra=torch.zeros(3)), "abîmé"),
])
def test_bad_records_are_refused_before_anything_large_is_built(edit, match):
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(edited(edit))


def test_a_deflate_bomb_is_refused_before_it_is_unpacked():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros in ~64 KB
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(CheckpointError, match="décompresse"):
        load_checkpoint(buf.getvalue())
    with pytest.raises(CheckpointError, match="trop gros"):
        load_checkpoint(b"\0" * (6 * 1024 * 1024))


def test_the_largest_model_the_app_builds_fits_the_upload_limit():
    config = ModelConfig(hidden=(512, 256), latent_dim=64)
    assert config.parameter_count <= MAX_PARAMETERS
    data = save_checkpoint(build_model(config), config, {"dataset": "mnist"})
    assert len(data) <= MAX_FILE_BYTES
    assert load_checkpoint(data)[1] == config
    widest = MAX_PARAMETERS * 4 + 64 * 1024  # every weight as float32, plus the file's records
    assert widest <= MAX_FILE_BYTES


# Any value a hand-edited file can hold, in any field: refused with a French CheckpointError, or a
# configuration whose model builds and runs. Never another exception (it would reach the learner).
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60), st.sampled_from(["mlp", "conv", "vq", "relu", "sigmoid", "standardised", "l1",
                                           "rate", "contractive", "linear"]),
    st.lists(st.one_of(st.integers(-3, 600), st.floats(-3, 600)), max_size=4),
    st.tuples(st.integers(0, 2), st.integers(-1, 70), st.integers(-1, 70)),
)
FIELDS = [f.name for f in dataclasses.fields(ModelConfig)]


@settings(max_examples=150, deadline=None)
@given(edits=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, min_size=1, max_size=3))
def test_any_configuration_in_a_file_is_refused_in_french_or_works(edits):
    content = edited(lambda blob: blob["config"].update(edits))
    try:
        model, config, _ = load_checkpoint(content)
    except CheckpointError as exc:
        assert str(exc)[0].isupper()
        return
    assert model(torch.zeros(2, *config.image_shape)).shape == (2, *config.image_shape)


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(FIELDS), value=HOSTILE)
def test_a_configuration_is_checked_field_by_field_before_anything_is_built(field, value):
    try:
        config = ModelConfig(**{field: value})
    except SpecError:
        return
    for name in ("latent_dim", "codebook", "downsample"):
        value = getattr(config, name)
        assert value is None or (type(value) is int and value >= 1)
    assert all(type(v) is int for v in (*config.image_shape, *config.hidden))
    assert all(type(getattr(config, n)) is float for n in ("beta", "weight", "rate"))


@pytest.mark.parametrize("config,buffer,value", [
    (ModelConfig(image_shape=(1, 8, 8), latent_dim=3, bottleneck="standardised", penalty="contractive",
                 weight=1e-3), "running_var", -1.0),
    (ModelConfig(image_shape=(1, 8, 8), latent_dim=3, bottleneck="standardised"), "running_var", 0.0),
    (ModelConfig("vq", (1, 8, 8), 4, codebook=8), "ema_count", -2.0),
])
def test_buffers_out_of_their_domain_are_refused(config, buffer, value):
    def edit(blob):
        name = next(k for k in blob["state_dict"] if k.endswith(buffer))
        blob["state_dict"][name] = torch.full_like(blob["state_dict"][name], value)
    blob = torch.load(io.BytesIO(saved(config)), weights_only=True)
    edit(blob)
    with pytest.raises(CheckpointError, match="variance ou un compte"):
        load_checkpoint(torch_bytes(blob))


def test_a_model_whose_outputs_are_not_finite_is_refused():
    model = build_model(SMALL, seed=0)
    images = torch.rand(20, 1, 8, 8)
    check_outputs(model, images)
    with torch.no_grad():
        model.encoder[0].bias[0] = float("nan")
    with pytest.raises(CheckpointError, match="indéfinis"):
        check_outputs(model, images)
    with pytest.raises(CheckpointError, match="abîmé"):
        check_outputs(model, torch.rand(20, 1, 28, 28))  # a model that fails on its images
