"""The page « Variantes et compression » in AppTest: each variant beside its plain twin, the budget slider."""

import pytest

from tests.app_driver import app, memo, short_recipes, start_and_train


@pytest.mark.parametrize("variant", ["sparse", "contractive", "vq"])
def test_each_variant_trains_beside_a_plain_autoencoder_and_shows_its_picture(variant, monkeypatch):
    short_recipes(monkeypatch, "variant_spec")
    at = app("pages/variantes.py")
    at.radio(key="var_variant").set_value(variant).run()
    start_and_train(at, f"var_{variant}")
    job = at.session_state[f"var_{variant}"]
    plain, model = (t.model_config for t in job.trainers)
    assert plain.penalty == "none" and plain.arch == "mlp"
    assert model.penalty != "none" or model.arch == "vq"
    headers = [h.value for h in at.header]
    assert "Ce que la pénalité change" in headers and "Le prix de la pénalité" in headers
    assert not at.exception and not at.error
    assert any("def train(" in c.value for c in at.code)  # the variant's stand-alone PyTorch code
    points = memo(at, "var_points")
    assert len(points["autoencodeur"]) == 8 and len(points["VQ-VAE"]) == (variant == "vq")
    if variant == "vq":  # the default VQ model shows how many code numbers serve, and their perplexity
        metrics = {m.label: m.value for m in at.metric}
        assert "Perplexité" in metrics and metrics["Numéros employés"].endswith("sur 64")


def test_the_budget_slider_changes_what_each_method_gives(monkeypatch):
    short_recipes(monkeypatch, "variant_spec")
    at = app("pages/variantes.py")
    start_and_train(at, "var_sparse")
    captions = lambda: [img.proto.imgs[0].caption for img in at.get("image")]  # noqa: E731
    before = captions()
    at.select_slider(key="var_budget").set_value(64).run()
    after = captions()
    assert before != after and any("ACP" in c and "k=" in c for c in after)
    at.select_slider(key="var_budget").set_value(4).run()
    assert not any("hors budget" in c for c in captions())  # an unaffordable method is said, not drawn black
    assert any("Hors budget" in c.value for c in at.caption)
    assert not at.exception
