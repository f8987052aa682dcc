"""App tests (streamlit.testing): the shell, the home page and the training page, driven like a learner."""

import csv
import io
import time

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest
from torchvision import datasets

import runner.jobs as jobs
import ui.live as live
from ae_core import ModelConfig, build_model, default_spec, save_checkpoint
from tests.app_driver import APP, app, start_and_train, train_to_end
from tests.conftest import require_mnist8k
from tests.pages import routed_pages
from ui.lesson import load_quiz
from ui.state import CurrentModel


def train_to_end_or_error(at, job, limit=100):
    for _ in range(limit):
        if not job.running:
            break
        time.sleep(0.1)
        at.run()


def weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("page", routed_pages(), ids=lambda p: p.name)
def test_every_page_renders_in_french(page):
    at = app(page.file)
    assert at.title[0].value == page.heading
    assert not at.error, [e.value for e in at.error]


def test_home_shows_diagram_links_and_quiz_score(downloads):
    at = app()
    assert at.selectbox(key="dataset").value == "digits"  # the sidebar (AppTest draws it on the first page only)
    assert len(at.get("graphviz_chart")) == 1
    linked = {link.proto.page for link in at.get("page_link")} - {""}  # "": itself, in the class paths
    assert linked == {p.url_path for p in routed_pages() if not p.default}  # the home page links every other
    assert at.download_button(key="quiz_download").proto.disabled  # nothing answered yet
    q0, q1 = load_quiz("accueil")[:2]
    at.radio(key="quiz_accueil_0").set_value(q0["answer"]).run()
    assert "Bonne réponse" in at.success[0].value
    assert at.metric[0].value == "1 / 1"
    at.radio(key="quiz_accueil_1").set_value((q1["answer"] + 1) % len(q1["choices"])).run()
    assert "Pas tout à fait" in at.error[0].value and at.metric[0].value == "1 / 2"

    at.text_input(key="quiz_name").input("Zoé L.").run()
    button = at.download_button(key="quiz_download")
    assert not button.proto.disabled
    data = downloads(button)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["nom", "page", "question", "réponse", "correcte", "horodatage"]
    assert [r[:2] + r[3:5] for r in rows[1:]] == [
        ["Zoé L.", "accueil", q0["choices"][q0["answer"]], "1"],
        ["Zoé L.", "accueil", q1["choices"][(q1["answer"] + 1) % len(q1["choices"])], "0"]]
    assert rows[1][2] == q0["question"] and rows[1][5].startswith("20")  # an ISO timestamp


@pytest.mark.slow
def test_full_default_training_on_digits_beats_pca():
    at = start_and_train(app("pages/entrainer.py"), "train")
    trainer = at.session_state["train"].trainer
    assert trainer.done and trainer.epoch == 100  # the step budget, capped by the epoch slider
    current = at.session_state["current_model"]
    assert current.model is trainer.model and current.dataset == "digits"
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"MSE par pixel (validation)", "PSNR", "Nombres : image → code"}
    assert "," in metrics["MSE par pixel (validation)"]  # French decimal comma
    assert metrics["Nombres : image → code"] == "64 → 12"
    assert "reconstruit mieux que l'ACP" in at.success[0].value
    assert any("class Autoencoder" in c.value for c in at.code)


def test_moving_a_widget_mid_training_does_not_stop_it():
    at = app("pages/entrainer.py")  # the default 100 epochs: many chunks, and time to move a widget
    at.button(key="train_start").click().run()
    job = at.session_state["train"]
    at.slider(key="train_latent").set_value(3).run()  # the learner moves a slider meanwhile
    at.switch_page("pages/accueil.py").run()  # ... and visits another page
    assert at.session_state["train"] is job and job.running
    at.switch_page("pages/entrainer.py").run()
    train_to_end(at, "train")
    assert job.trainer.epoch == 100 and job.trainer.model_config.latent_dim == 12


def test_pause_resume_and_reset():
    at = app("pages/entrainer.py")
    at.button(key="train_start").click().run()
    at.button(key="train_toggle").click().run()  # Pause
    job = at.session_state["train"]
    position = (job.trainer.epoch, job.trainer.batch)
    at.run().run()
    assert (job.trainer.epoch, job.trainer.batch) == position and not job.running
    assert at.button(key="train_toggle").label == "Reprendre"
    at.button(key="train_toggle").click().run()
    for _ in range(50):  # the server's workers take it up again, without any rerun
        if (job.trainer.epoch, job.trainer.batch) > position:
            break
        time.sleep(0.1)
    assert job.running and (job.trainer.epoch, job.trainer.batch) > position
    at.button(key="train_reset").click().run()
    assert "train" not in at.session_state


def test_divergence_is_explained_in_french(monkeypatch):
    idle = jobs.WorkerPool(0)  # no worker: the test trains the job itself, after forcing the blow-up
    monkeypatch.setattr(live, "pool", lambda: idle)
    at = app("pages/entrainer.py")
    at.segmented_control(key="train_loss").set_value("mse")
    at.select_slider(key="train_lr").set_value(1.0).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train"]
    trainer = job.trainer
    trainer.optimizer.param_groups[0]["lr"] = 1e30  # force the blow-up whatever the schedule
    trainer.scheduler = None
    while not job.done:
        job.advance(1.0)
    train_to_end_or_error(at, job)
    assert trainer.diverged_at is not None and not job.trained and not job.running
    assert any("Baissez le taux d'apprentissage" in e.value for e in at.error)
    assert at.session_state.get("current_model") is None  # a diverged model does not become current


def test_checkpoint_download_and_upload_round_trip(downloads):
    at = start_and_train(app("pages/entrainer.py").slider(key="train_epochs").set_value(2).run(), "train")
    model = at.session_state["current_model"].model
    data = downloads(at.download_button(key="train_download"))
    at.button(key="train_reset").click().run()
    del at.session_state["current_model"]
    at.file_uploader(key="train_upload").upload("modele.pt", data).run()
    assert "Modèle chargé" in at.success[0].value
    assert torch.equal(weights(at.session_state["current_model"].model), weights(model))


def test_a_model_uploaded_after_training_becomes_current():
    at = start_and_train(app("pages/entrainer.py").slider(key="train_epochs").set_value(2).run(), "train")
    trained = at.session_state["current_model"]
    config = ModelConfig(image_shape=(1, 8, 8), latent_dim=3, hidden=(16,))
    at.file_uploader(key="train_upload").upload("autre.pt", save_checkpoint(build_model(config), config,
                                                                            {"dataset": "digits"})).run()
    assert any("Modèle chargé" in s.value for s in at.success)
    at.run()  # a later rerun must not put the trained model back
    current = at.session_state["current_model"]
    assert current is not trained and current.config == config


@pytest.mark.parametrize("content,message", [(b"pas un modele", "illisible"),
                                             (None, "ne vient pas de l'atelier")])
def test_bad_upload_changes_nothing(content, message):
    at = app("pages/entrainer.py")
    if content is None:  # a real PyTorch file, but not one of ours
        buf = io.BytesIO()
        torch.save(build_model(ModelConfig()).state_dict(), buf)
        content = buf.getvalue()
    at.file_uploader(key="train_upload").upload("autre.pt", content).run()
    assert any(message in e.value for e in at.error)
    assert at.session_state.get("current_model") is None and not at.exception


def test_upload_switches_to_the_model_dataset(monkeypatch):
    monkeypatch.setenv("AE_DATA_DIR", str(require_mnist8k()))
    config = ModelConfig(latent_dim=2)
    data = save_checkpoint(build_model(config), config, {"dataset": "mnist"})
    at = app("pages/entrainer.py")
    at.file_uploader(key="train_upload").upload("m.pt", data).run()
    assert not at.exception and "MNIST" in at.success[0].value
    assert at.session_state["current_model"].config == config
    assert at.session_state["dataset"] == "mnist"
    assert "MNIST (28×28)" in " ".join(c.value for c in at.caption)


def test_offline_dataset_falls_back_to_digits(tmp_path, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # refused at once, on loopback
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "mnist"
    at.run()
    assert not at.exception
    assert any("Impossible de télécharger" in e.value for e in at.error)
    assert "8 × 8" in at.get("graphviz_chart")[0].proto.spec  # the page goes on with the digits
    st.cache_resource.clear()


def test_an_mnist_model_cannot_be_adopted_where_mnist_cannot_be_had(tmp_path, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # refused at once, on loopback
    config = ModelConfig(latent_dim=2)
    at = app("pages/entrainer.py")
    at.file_uploader(key="train_upload").upload("m.pt", save_checkpoint(build_model(config), config,
                                                                        {"dataset": "mnist"})).run()
    assert not at.exception and any("indisponible ici" in e.value for e in at.error)
    assert at.session_state.get("current_model") is None
    assert "dataset" not in at.session_state or at.session_state["dataset"] == "digits"
    for page in ("pages/espace_latent.py", "pages/debruitage.py", "pages/anomalies.py"):
        at.switch_page(page).run()
        assert not at.exception
    st.cache_resource.clear()


def test_a_model_of_a_dataset_that_fell_back_is_not_used_on_the_digits(tmp_path, monkeypatch):
    st.cache_resource.clear()
    monkeypatch.setenv("AE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    config = ModelConfig(latent_dim=2)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "mnist"  # chosen, but it cannot be loaded: the pages show the digits
    at.session_state["current_model"] = CurrentModel(build_model(config), config, "mnist", "test")
    at.run()
    for page in ("pages/espace_latent.py", "pages/debruitage.py"):
        at.switch_page(page).run()
        assert not at.exception
        if page.endswith("espace_latent.py"):
            at.radio(key="latent_source").set_value("current").run()
            assert any("Pas de modèle courant" in i.value for i in at.info)
    st.cache_resource.clear()


def test_training_advances_on_the_server_while_the_browser_asks_nothing():
    at = app("pages/entrainer.py")  # the default 100 epochs: still training 2 s after the start
    at.button(key="train_start").click().run()
    job = at.session_state["train"]
    before = job.progress
    time.sleep(2.0)  # no rerun at all meanwhile: AppTest only runs the script when told to
    assert job.progress > before
    train_to_end_or_error(at, job, 400)
    assert job.trained and not job.running


def test_few_training_images_open_the_gap_between_the_curves():
    at = app("pages/entrainer.py")
    at.select_slider(key="train_size").set_value(50).run()
    start_and_train(at, "train")
    trainer = at.session_state["train"].trainer
    assert len(trainer.train_idx) == 50
    h = trainer.history
    assert h.val_loss[-1] > 1.1 * h.train_loss[-1]  # measured on digits: 0.351 against 0.298
    assert any("n'a vu que 50 images" in c.value for c in at.caption)


def test_the_start_button_says_how_long_and_counts_the_other_learners_in_line(digits):
    at = app("pages/entrainer.py")
    assert any(c.value.startswith("Durée prévue sur ce serveur\u202f: environ") and "attente" not in c.value
               for c in at.caption)
    other = jobs.Job([default_spec(digits)], digits)  # several seconds of training
    jobs.pool().submit(other, "another learner")  # (every AppTest session has the same id)
    try:
        at.run()
        assert any("dont l'attente derrière 1 autre entraînement en cours" in c.value for c in at.caption)
        at.button(key="train_start").click().run()
        assert not any(c.value.startswith("Durée prévue") for c in at.caption)  # running: its progress bar says
        at.button(key="train_reset").click().run()
    finally:
        other.pause()


def test_a_prediction_is_asked_above_its_run_locked_while_it_runs_and_set_beside_the_result():
    questions = load_quiz("entrainer")
    k2 = next(i for i, q in enumerate(questions) if q.get("predicts") == "train:k2")
    k32 = next(i for i, q in enumerate(questions) if q.get("predicts") == "train:k32")
    at = app("pages/entrainer.py", train_latent=2, train_epochs=5)
    radio = at.radio(key=f"quiz_entrainer_{k2}")
    assert radio.label.endswith(questions[k2]["question"]) and "Prédiction" in radio.label and not radio.disabled
    radio.set_value(questions[k2]["answer"]).run()
    start_and_train(at, "train")
    assert at.radio(key=f"quiz_entrainer_{k2}").disabled and at.radio(key=f"quiz_entrainer_{k32}").disabled
    assert any("Réponse figée" in c.value for c in at.caption)
    assert any("l'expérience vous donne raison" in s.value for s in at.success)  # a code of 2 beats PCA-2
    assert any("ne tranche pas" in i.value and "32" in i.value for i in at.info)  # k32 needs a code of 32
    assert at.session_state["quiz"]["entrainer"][k2]["correct"]  # in the results file like any answer
    at.button(key="train_reset").click().run()
    assert not at.radio(key=f"quiz_entrainer_{k2}").disabled
    labels = [r.label for r in at.radio]
    assert sum(questions[k2]["question"] in label for label in labels) == 1  # not asked again in the quiz


def test_a_hundred_labels_compare_the_code_with_pca_and_the_pixels():
    at = start_and_train(app("pages/entrainer.py", train_epochs=5), "train")
    at.button(key="train_probe").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert {"Exactitude\u202f: codes de l'autoencodeur (12)", "Exactitude\u202f: ACP (12 composantes)",
            "Exactitude\u202f: pixels bruts (64)"} <= set(labels)
    verdict = [m.value for m in [*at.success, *at.info] if "classifieur" in m.value]
    assert len(verdict) == 1


def test_the_synthesis_links_each_point_to_a_page_and_settings_it_accepts():
    from ui.sections.synthese import SEEN

    assert len(SEEN) >= 8
    for _, target, params, _ in SEEN:
        at = app(target)
        at.query_params.update(params)
        at.run()
        assert not at.exception and not any("ignorés" in w.value for w in at.warning), (target, params)
        for key, value in params.items():
            assert at.query_params[key] == value  # applied, then written back as it was
    at = app("pages/entrainer.py")
    assert any(link.proto.page.endswith("synthese") or "retenir du cours" in link.proto.label
               for link in at.get("page_link"))  # reachable from every « À retenir »


def test_the_class_paths_fit_their_length_and_open_their_pages_with_their_settings():
    from ui.sections.accueil import CLASS_PATHS, EXTRA_STEPS, plan_minutes

    for length, path in CLASS_PATHS.items():
        minutes = sum(plan_minutes(target) for target, _, _ in path)
        hours = int(length.split()[0])
        assert 60 * hours - 15 <= minutes <= 60 * hours, (length, minutes)  # room left to talk
    routed = {p.file for p in routed_pages()} - {"pages/classe.py"}  # a tool used during the others, not a step
    in_paths = {t for path in CLASS_PATHS.values() for t, _, _ in path}
    assert in_paths | {t for t, _, _ in EXTRA_STEPS} == routed and not in_paths & {t for t, _, _ in EXTRA_STEPS}
    at = app()
    labels = [link.proto.label for link in at.get("page_link")]
    assert any(label.startswith("20\u00a0min — un code de 2") for label in labels)


def test_a_finished_training_is_not_stepped_on_until_it_is_reset():
    at = start_and_train(app("pages/entrainer.py", train_epochs=3), "train")
    finished_job = at.session_state["train"]
    assert finished_job.trained
    keys = {b.key for b in at.button}
    assert "train_step" not in keys and "train_epoch" not in keys and "train_start" in keys
    at.button(key="train_reset").click().run()
    at.button(key="train_step").click().run()  # a new run, one step at a time
    job = at.session_state["train"]
    assert job is not finished_job and len(job.trainer.history.batch_loss) == 1
    from ui.charts import loss_figure

    assert "markers" in loss_figure(job.trainer.history).data[0].mode  # the one point shows
    assert loss_figure(finished_job.trainer.history).data[0].mode == "lines"  # thousands of batches: a line
    at.button(key="train_reset").click().run()
