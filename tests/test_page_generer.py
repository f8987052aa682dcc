"""The page « Générer : autoencodeur et VAE » in AppTest: train the pair, draw, redraw, the β trade-off."""

import json
import time

import pytest

from tests.app_driver import app, click, memo, short_recipes, start_and_train


def test_train_both_models_then_draw_judge_and_redraw(monkeypatch):
    short_recipes(monkeypatch, "generation_pair")
    at = app("pages/generer.py")
    assert "Le compromis β" in [h.value for h in at.header]
    start_and_train(at, "gen")
    job = at.session_state["gen"]
    assert len(job.trainers) == 2 and job.trainers[1].model_config.variational
    headers = [h.value for h in at.header]
    for title in ("Tirer au hasard", "L'encodeur donne une loi, pas un point", "Deux cartes latentes", "Netteté"):
        assert title in headers
    table = at.table[0].value
    assert len(table) == 5 and "bruit" in list(table["images"])
    images, scores = memo(at, "gen_draws")
    assert images["vae"].shape == (36, 1, 8, 8)  # the grid only: the 1,000 judged images are let go
    click(at, "Nouveau tirage")
    new_images, new_scores = memo(at, "gen_draws")
    assert not (new_images["vae"] == images["vae"]).all() and new_scores["vae"] != scores["vae"]
    mu_text = next(m.value for m in at.markdown if m.value.startswith("μ = ("))
    click(at, "Tirer de nouveaux ε")
    assert next(m.value for m in at.markdown if m.value.startswith("μ = (")) == mu_text  # same image, same law
    assert len(at.get("plotly_chart")) >= 2  # the two maps
    start, end = at.selectbox(key="gen_from").value, at.selectbox(key="gen_to").value
    names = at.selectbox(key="gen_to").options
    assert names[start].split("(")[-1] != names[end].split("(")[-1]  # the interpolation goes from one digit to another
    replay = at.select_slider(key="gen_replay_epoch")  # both maps again, at any epoch of their training
    assert replay.options == ["0", "1", "2"] and replay.value == 2
    replay.set_value(0).run()
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert "Autoencodeur, avant l'entraînement" in titles and "VAE, avant l'entraînement" in titles


@pytest.mark.slow
def test_the_beta_trade_off_trains_five_vaes_once_and_shows_active_dimensions():
    at = app("pages/generer.py")
    at.button(key="gen_beta_start").click().run()
    for _ in range(900):
        if any("dimensions actives (sur 2)" in t.value.columns for t in at.table):
            break
        time.sleep(0.2)
        at.run()
    table = next(t.value for t in at.table if "dimensions actives (sur 2)" in t.value.columns)
    assert list(table["β"]) == ["0,00", "0,50", "1,00", "2,00", "4,00"]
    kl = [float(v.replace(",", ".")) for v in table["KL (nats)"]]
    assert kl[0] > kl[2] > kl[4]  # a larger β pulls the codes towards the prior
    active = list(table["dimensions actives (sur 2)"])
    assert active[2] == 2 and active[4] == 0  # the exercise's posterior collapse on digits
    assert not at.exception


def test_the_noise_caption_says_what_the_noise_fools_on_the_table_shown():
    from ui.sections.generer import noise_note

    def row(confidence, frechet):
        return {"confidence": confidence, "frechet": frechet, "diversity": 0.9}

    mnist = {"vae": row(0.87, 86.5), "ae": row(0.82, 230.1), "ae_fit": row(0.90, 81.8)}  # the README's table
    note = noise_note(mnist, row(0.94, 300.0))
    assert "trompe la confiance du juge\u202f:" in note and "distance" not in note.split(".")[0].split(":")[0]
    digits = {"vae": row(0.73, 10.5), "ae": row(0.62, 90.0), "ae_fit": row(0.73, 5.6)}
    note = noise_note(digits, row(0.57, 55.7))
    assert "trompe la distance de Fréchet" in note
    assert "plus basse que celle de l'autoencodeur tiré dans N(0, I)" in note
    assert "plus sûr de lui" not in note  # its confidence is the lowest: not fooled
    assert "ni la confiance du juge ni la distance" in noise_note(mnist, row(0.5, 500.0))
