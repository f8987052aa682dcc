"""ae_core.recipes and ae_core.spec: the run specification, the default recipes and build_trainer."""

import dataclasses

import pytest
import torch
from sklearn.decomposition import PCA

from ae_core import (
    Corruption,
    ModelConfig,
    Rows,
    SpecError,
    TrainConfig,
    build_trainer,
    default_spec,
    encode,
    manifold_dataset,
    pca_error_curve,
    trustworthiness,
)
from ae_core.readers import breast_cancer_csv, read_csv
from ae_core.recipes import (
    curve_sizes,
    curve_spec,
    manifold_spec,
    map_spec,
    one_class_spec,
    restoration_spec,
    table_spec,
)
from ae_core.rows import one_class_rows, select_rows
from tests.claims import check_claim
from tests.conftest import trained


def all_specs(data):
    return [default_spec(data), map_spec(data, 3, seed=2), curve_spec(data, 5),
            restoration_spec(data, Corruption("salt_pepper", 0.2)), restoration_spec(data, Corruption("inpaint")),
            one_class_spec(data, (1, 7), 0.05, 4, seed=1)]


def test_specs_are_hashable_and_equal_by_value(digits):
    a, b = default_spec(digits, 4), default_spec(digits, 4)
    assert a == b and hash(a) == hash(b) and len({a, b, default_spec(digits, 5)}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.dataset = "mnist"


def test_every_recipe_builds_its_trainer_through_build_trainer(digits):
    for spec in all_specs(digits):
        trainer = build_trainer(spec, digits)
        assert trainer.spec is spec and trainer.model_config == spec.model and trainer.config == spec.train
        assert trainer.input_fn is spec.corruption
        assert not set(trainer.train_idx.tolist()) & set(trainer.val_idx.tolist())


def test_build_trainer_refuses_other_data_and_other_shapes(digits):
    with pytest.raises(ValueError, match="names"):
        build_trainer(default_spec(digits), manifold_dataset("s_curve", 100))
    wrong = dataclasses.replace(default_spec(digits), model=ModelConfig(image_shape=(1, 28, 28)))
    with pytest.raises(SpecError, match="forme"):
        build_trainer(wrong, digits)


def test_rows_select_seeded_subsets_and_one_class_rows(digits):
    train_idx, val_idx = select_rows(digits, Rows(max_train=500, max_val=100, seed=3))
    assert len(train_idx) == 500 and len(val_idx) == 100
    assert torch.equal(train_idx, select_rows(digits, Rows(max_train=500, max_val=100, seed=3))[0])
    assert not torch.equal(train_idx, select_rows(digits, Rows(max_train=500, max_val=100, seed=4))[0])
    spec = one_class_spec(digits, (7,))
    trainer = build_trainer(spec, digits)
    assert (digits.labels[trainer.train_idx] == 7).all() and (digits.labels[trainer.val_idx] == 7).all()
    assert torch.equal(one_class_rows(digits, spec.rows).train_idx, trainer.train_idx)
    with pytest.raises(SpecError, match="au moins une classe"):
        build_trainer(one_class_spec(digits, tuple(range(10))), digits)
    for bad in (dict(max_train=0), dict(val_fraction=1.0), dict(contamination=0.6)):
        with pytest.raises(SpecError):
            Rows(**bad)


def test_map_spec_caps_the_training_rows(mnist8k):
    trainer = build_trainer(map_spec(mnist8k, 3), mnist8k)
    assert len(trainer.train_idx) == 8000 and trainer.model_config.latent_dim == 3
    assert trainer.model_config.hidden == (256, 128)
    assert dataclasses.replace(map_spec(mnist8k).rows, max_train=500) != map_spec(mnist8k).rows


def test_a_table_is_named_by_its_content():
    table = read_csv(breast_cancer_csv(n_anomalies=20, seed=0), "diagnostic")
    other = read_csv(breast_cancer_csv(n_anomalies=21, seed=0), "diagnostic")
    data = table.as_dataset()
    assert data.name == f"table:{table.fingerprint}" and len(table.fingerprint) == 16
    assert other.fingerprint != table.fingerprint
    assert read_csv(breast_cancer_csv(n_anomalies=20, seed=0), "diagnostic").fingerprint == table.fingerprint
    spec = table_spec(data)
    assert spec.dataset == data.name and spec.train.loss == "mse"
    with pytest.raises(ValueError, match="names"):
        build_trainer(spec, other.as_dataset())


@pytest.mark.parametrize("name", ["s_curve", "swiss_roll"])
def test_autoencoder_unrolls_the_manifold_better_than_pca(name):
    cloud = manifold_dataset(name, 1000, seed=0)
    trainer = build_trainer(manifold_spec(cloud), cloud)
    assert torch.equal(trainer.train_idx, trainer.val_idx)  # the map shows where each training point lands
    trainer.run()
    X = cloud.images.flatten(1).numpy()
    z = encode(trainer.model, cloud.images).numpy()
    assert z.shape == (1000, 2)
    t_ae, t_pca = trustworthiness(X, z), trustworthiness(X, PCA(2).fit_transform(X))
    assert t_ae > t_pca + 0.05, (t_ae, t_pca)


def test_curve_spec_adds_shifted_copies_only_on_large_images(digits, mnist8k):
    assert curve_sizes(digits.image_shape) == (2, 5, 10)  # 30 would be half of the 64 pixels
    assert curve_sizes(mnist8k.image_shape) == (2, 10, 30)
    assert not curve_spec(digits, 4).rows.shifts
    trainer = build_trainer(curve_spec(mnist8k, 4), mnist8k)
    assert len(trainer.train_idx) == 9 * 8000 and len(trainer.val_idx) == 2000
    # The validation rows are the untouched test images, after the shifted training copies.
    assert torch.equal(trainer.images[trainer.val_idx], mnist8k.images[8000:])
    assert torch.equal(trainer.images[:8000], mnist8k.images[:8000])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["digits", "mnist8k"])
def test_the_curves_autoencoders_beat_pca_at_every_size(request, name):
    """Espace latent's prediction, as the page measures it: below PCA at each size of the curve. At
    Hinton & Salakhutdinov's size, 30 (their deep autoencoder: 0.216 on 60,000 images), shifted
    copies keep the autoencoder from memorising: seed 0 measured 0.335 on mnist8k."""
    data = request.getfixturevalue(name)
    train_idx, val_idx = select_rows(data, map_spec(data).rows)
    ks = curve_sizes(data.image_shape)
    pca = pca_error_curve(data.images[train_idx], data.images[val_idx], list(ks))
    ratios = [trained(curve_spec(data, k), data).history.val_mse[-1] / p for k, p in zip(ks, pca, strict=True)]
    print(f"FIGURE curve on {name}: autoencoder / PCA at k = {ks}: {[round(float(r), 3) for r in ratios]}")
    check_claim("espace_latent_curve", worst=float(max(ratios)))
    if name == "mnist8k":
        assert ratios[-1] < 0.34


def test_train_config_rejects_bad_values_in_french():
    with pytest.raises(SpecError, match="époque"):
        TrainConfig(epochs=0)
