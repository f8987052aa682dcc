"""App tests (streamlit.testing): the shell, the home page and the training page, driven like a learner."""

import csv
import io
import re
import time
from pathlib import Path

import pytest
import streamlit as st
import torch
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from torchvision import datasets

import ui.jobs as jobs
import ui.live as live
from ae_core import ModelConfig, build_model, save_checkpoint
from tests.app_driver import start_and_train, train_to_end
from tests.conftest import require_mnist8k
from ui.lesson import load_quiz
from ui.state import CurrentModel

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {"pages/accueil.py": "Atelier autoencodeurs", "pages/entrainer.py": "Entraîner un autoencodeur",
         "pages/espace_latent.py": "Espace latent et ACP", "pages/debruitage.py": "Débruitage et restauration",
         "pages/anomalies.py": "Détection d'anomalies"}


@pytest.fixture
def downloads(monkeypatch):
    """read(download_button) -> the bytes it serves."""
    managers = []  # each AppTest run serves downloads from a fresh media manager: keep them

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return lambda button: managers[-1].read_file(button.proto.url.rsplit("/", 1)[-1].split(".")[0]).content


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def train_to_end_or_error(at, job, limit=100):
    for _ in range(limit):
        if not job.running:
            break
        time.sleep(0.1)
        at.run()


def weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("page,title", PAGES.items())
def test_every_page_renders_in_french(page, title):
    at = app(page)
    assert at.title[0].value == title
    assert not at.error, [e.value for e in at.error]


def test_home_shows_diagram_links_and_quiz_score(downloads):
    at = app()
    assert at.selectbox(key="dataset").value == "digits"  # the sidebar (AppTest draws it on the first page only)
    assert len(at.get("graphviz_chart")) == 1
    linked = {link.proto.page for link in at.get("page_link")}
    assert linked == {"entrainer", "espace_latent", "debruitage", "anomalies"}
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
    at = app("pages/entrainer.py")  # the default 100 epochs: many chunks
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
    at.radio(key="train_loss").set_value("mse")
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
    at = app("pages/entrainer.py")
    at.button(key="train_start").click().run()
    job = at.session_state["train"]
    before = job.progress
    time.sleep(2.0)  # no rerun at all meanwhile: AppTest only runs the script when told to
    assert job.progress > before
    train_to_end_or_error(at, job, 400)
    assert job.trained and not job.running


def test_step_buttons_advance_one_batch_then_to_the_end_of_the_epoch():
    at = app("pages/entrainer.py")
    at.button(key="train_step").click().run()
    job = at.session_state["train"]
    t = job.trainer
    assert not job.running and (t.epoch, t.batch) == (0, 1) and len(t.history.batch_loss) == 1
    assert f"lot 1/{t.steps_per_epoch}" in at.get("progress")[0].proto.text
    assert "chaque lot" in at.get("plotly_chart")[0].proto.spec  # the loss of every batch, drawn at once
    at.button(key="train_epoch").click().run()
    assert (t.epoch, t.batch) == (1, 0) and len(t.history.val_loss) == 1
    assert len(t.history.batch_loss) == t.steps_per_epoch
    at.button(key="train_step").click().run()
    assert at.session_state["train"] is job and (t.epoch, t.batch) == (1, 1)
    at.button(key="train_toggle").click().run()  # « Reprendre »: the workers take it from there
    assert job.running
    train_to_end(at, "train")
    assert t.done and len(t.history.batch_loss) == t.epoch * t.steps_per_epoch


def test_a_settings_link_restores_the_page_and_ignores_bad_values_in_french():
    at = app("pages/entrainer.py")
    at.query_params.update({"d": "digits", "a": "course_mlp", "k": "2", "b": "relu", "lr": "abc", "e": "500"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="train_arch").value == "course_mlp" and at.slider(key="train_latent").value == 2
    assert at.radio(key="train_bottleneck").value == "relu"
    notice = at.warning[0].value
    assert "«\u202flr=abc\u202f»" in notice and "«\u202fe=500\u202f»" in notice and "ignorés" in notice
    assert at.select_slider(key="train_lr").value == 0.01 and at.slider(key="train_epochs").value == 100  # kept
    # The address now carries every setting of the page, and the link to copy says the same.
    assert (at.query_params["a"], at.query_params["k"], at.query_params["lr"]) == ("course_mlp", "2", "0.01")
    link = next(c.value for c in at.code if "?d=digits" in c.value)
    assert "a=course_mlp" in link and "k=2" in link and "w=128%2C+64" in link

    at.slider(key="train_latent").set_value(5).run()  # moving a control rewrites the address, not the reverse
    assert at.query_params["k"] == "5" and at.slider(key="train_latent").value == 5 and not at.warning


def test_an_unknown_dataset_in_the_address_is_explained():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["d"] = "cifar"
    at.run()
    assert not at.exception and at.selectbox(key="dataset").value == "digits"
    assert any("«\u202fcifar\u202f»" in e.value for e in at.error)


def test_the_anomaly_page_reads_its_classes_from_the_address():
    at = app("pages/anomalies.py")
    at.query_params.update({"c": "3,5", "p": "50"})
    at.run()
    assert not at.exception and at.multiselect(key="anomalies_normal").value == [3, 5]
    assert any("«\u202fp=50\u202f»" in w.value for w in at.warning)


def test_the_readme_links_for_teachers_open_without_notice():
    readme = (Path(APP).parent / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"`/(entrainer|anomalies)\?([^`]+)`", readme)
    assert len(links) >= 3
    for page, query in links:
        at = app(f"pages/{page}.py")
        at.query_params.update(dict(pair.split("=", 1) for pair in query.split("&")))
        at.run()
        assert not at.exception and not at.warning, (page, query)


def test_a_link_can_turn_mode_classe_on_and_lock_the_controls_it_names():
    home = AppTest.from_file(APP, default_timeout=120)
    home.query_params.update({"classe": "1", "verrou": "1"})
    home.run()  # the shell reads the flags of the address
    assert home.toggle(key="class_mode").value and home.session_state["class_lock"]
    # AppTest runs a switched page without app.py's shell, so its sidebar toggle is gone there: the
    # hiding of advanced controls is tested in the browser (tests/browser/test_app_browser.py).
    at = app("pages/entrainer.py")
    at.session_state["class_lock"] = True
    at.query_params.clear()
    at.query_params.update({"k": "2", "lr": "0.001"})
    at.run()
    assert not at.exception
    assert at.slider(key="train_latent").disabled and at.select_slider(key="train_lr").disabled  # locked
    assert not at.slider(key="train_epochs").disabled  # not named: free
    at.button(key="train_step").click().run()
    spec = at.session_state["train"].trainer.spec
    assert (spec.model.latent_dim, spec.train.lr) == (2, 0.001)
