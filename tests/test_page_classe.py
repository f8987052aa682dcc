"""App test of « La classe en direct »: a teacher opens a séance, a learner (another session) joins and
answers, the teacher's board shows it; mode classe hides the pseudonyms; the teacher's link leaves the
address; a wrong secret, a password, closing and the export."""

import csv
import io
import time

import pytest

from runner.seances import seance_store
from tests.app_driver import app, click, short_recipes, start_and_train, train_to_end
from ui.lesson import load_quiz

PAGE = "pages/classe.py"


def text_input(at, label):
    return next(t for t in at.text_input if t.label == label)


def opened() -> tuple:
    """A teacher's session that opened a séance, and the séance's code and secret."""
    teacher = app(PAGE)
    click(teacher, "Ouvrir une séance")
    held = teacher.session_state["seance_teacher"]
    return teacher, held["code"], held["secret"]


def joined(code: str, name: str):
    learner = app(PAGE)
    text_input(learner, "Code de la séance (six lettres)").input(code.lower())
    text_input(learner, "Votre pseudonyme").input(name)
    click(learner, "Rejoindre")
    return learner


def test_page_renders_with_a_form_to_join_and_a_button_to_open():
    at = app(PAGE)
    assert at.title[0].value == "La classe en direct"
    assert {"Rejoindre", "Ouvrir une séance"} <= {b.label for b in at.button}
    assert any("Un pseudonyme suffit" in c.value for c in at.caption)


def test_a_learners_answer_shows_on_the_teachers_board():
    teacher, code, secret = opened()
    assert any(code[0] in m.value and "Code à donner" in m.value for m in teacher.markdown)
    assert teacher.get("imgs") or teacher.get("image")  # the QR code
    learner = joined(code, "Léa")
    assert any("Vous avez rejoint la séance" in s.value for s in learner.success)
    assert [x.value for x in learner.text] == ["Votre pseudonyme\u202f: Léa"]
    right = load_quiz("classe")[1]["answer"]  # the calculation, 18 / 24, in the order learners see
    learner.radio(key="quiz_classe_1").set_value(right).run()
    teacher.run()
    board = seance_store().board(code, secret)
    assert board.counts("classe:1") == {right: 1}
    table = next(d.value for d in teacher.dataframe if "réponses" in d.value.columns)
    assert table["réponses"].sum() == 1 and table["qui"].str.contains("Léa").any()
    assert any("1 réponse, 100\u202f% justes" in m.value for m in teacher.markdown)


def test_answers_given_before_joining_are_sent_when_joining():
    teacher, code, secret = opened()
    learner = app(PAGE)
    learner.radio(key="quiz_classe_0").set_value(1).run()
    text_input(learner, "Code de la séance (six lettres)").input(code)
    text_input(learner, "Votre pseudonyme").input("Noé")
    click(learner, "Rejoindre")
    assert seance_store().board(code, secret).answers["classe:0"] == {1: ["Noé"]}


def test_in_mode_classe_the_board_shows_counts_and_no_pseudonym():
    teacher, code, _ = opened()
    learner = joined(code, "Zoé")
    learner.radio(key="quiz_classe_0").set_value(0).run()
    teacher.session_state["class_mode"] = True
    teacher.run()
    shown = [str(d.value) for d in teacher.dataframe] + [m.value for m in teacher.markdown]
    assert not any("Zoé" in text for text in shown)
    assert any("1** participant" in m.value for m in teacher.markdown)


def test_a_pseudonym_carrying_markup_is_shown_as_text():
    teacher, code, _ = opened()
    learner = joined(code, "<b>x</b>**y**[z](js:a)")  # 24 characters at most in the form (longer: test_seances)
    assert [x.value for x in learner.text] == ["Votre pseudonyme\u202f: <b>x</b>**y**[z](js:a)"]  # plain text
    assert not any("<b>" in m.value for m in [*learner.markdown, *learner.success])
    teacher.run()
    names = next(d.value for d in teacher.dataframe if "pseudonyme" in d.value.columns)["pseudonyme"].tolist()
    assert names == ["<b>x</b>**y**[z](js:a)"]  # kept as text, in a table cell
    assert not any("<b>" in m.value for m in teacher.markdown)


def test_the_teachers_link_moves_its_secret_out_of_the_address():
    _, code, secret = opened()
    other = app()
    other.query_params.update({"seance": code, "cle": secret})
    other.switch_page(PAGE).run()
    assert not other.exception and "cle" not in other.query_params
    assert other.session_state["seance_teacher"] == {"code": code, "secret": secret}


@pytest.mark.parametrize("secret", ["", "faux", "secret-d-une-autre-seance"])
def test_a_wrong_secret_shows_no_board(secret):
    _, code, _ = opened()
    other = app()
    other.query_params.update({"seance": code, "cle": secret})
    other.switch_page(PAGE).run()
    assert any("lien d'enseignant n'est pas valide" in e.value for e in other.error)
    assert "seance_teacher" not in other.session_state and "Ouvrir une séance" in {b.label for b in other.button}


def test_a_school_server_asks_the_teachers_password(monkeypatch):
    monkeypatch.setenv("AE_TEACHER_PASSWORD", "craie")
    at = app(PAGE)
    click(at, "Ouvrir une séance")
    assert any("Mot de passe erroné" in e.value for e in at.error) and "seance_teacher" not in at.session_state
    text_input(at, "Mot de passe enseignant").input("craie")
    click(at, "Ouvrir une séance")
    assert "seance_teacher" in at.session_state


def test_export_then_close_deletes_everything():
    teacher, code, secret = opened()
    learner = joined(code, "=1+2")
    learner.radio(key="quiz_classe_0").set_value(1).run()
    teacher.run()
    rows = list(csv.reader(io.StringIO(seance_store().export_csv(code, secret).decode("utf-8-sig"))))
    assert ["'=1+2", "réponse", "classe:0", "choix", "1"] in rows  # a spreadsheet never runs a pseudonym
    click(teacher, "Fermer la séance")
    assert "seance_teacher" not in teacher.session_state and "Ouvrir une séance" in {b.label for b in teacher.button}
    learner.radio(key="quiz_classe_0").set_value(2).run()  # the séance is gone: the learner is told on next run
    learner.run()
    assert not learner.exception and "seance" not in learner.session_state


def test_a_class_experiment_locks_each_learners_setting_and_their_result_reaches_the_board():
    teacher, code, secret = opened()
    learners = [joined(code, name) for name in ("Ana", "Ben")]
    teacher.selectbox(key="seance_template").set_value("k").run()
    click(teacher, "Lancer l'expérience")
    assert seance_store().board(code, secret).experiment == "k_digits"
    ana, ben = learners
    for learner in learners:
        learner.session_state["train_epochs"] = 2  # a short training: what reaches the board, not its quality
        learner.switch_page("pages/entrainer.py").run()
        assert not learner.exception
    assert (ana.slider(key="train_latent").value, ben.slider(key="train_latent").value) == (2, 4)  # join order
    assert ana.slider(key="train_latent").disabled and any("Expérience de classe" in i.value for i in ana.info)
    start_and_train(ana, "train")
    deadline = time.monotonic() + 10
    while not seance_store().board(code, secret).results and time.monotonic() < deadline:
        time.sleep(0.05)  # the training service posts the result from its own thread
    (name, values), = seance_store().board(code, secret).results["k_digits"]
    assert name == "Ana" and values == {"x": 2, "val_mse": ana.session_state["train"].trainer.history.val_mse[-1]}
    teacher.run()
    assert any("1 résultat, 1 encore à l'entraînement" in m.value for m in teacher.markdown)
    assert teacher.get("plotly_chart")


def test_a_prediction_shows_next_to_what_the_learners_experiment_gave(monkeypatch):
    short_recipes(monkeypatch, "signal_denoise_spec", epochs=2)
    teacher, code, secret = opened()
    learner = joined(code, "Eva")
    learner.switch_page("pages/signaux.py").run()
    learner.radio(key="quiz_signaux_0").set_value(1).run()  # a prediction, before the experiment
    click(learner, "Entraîner l'autoencodeur débruiteur")
    train_to_end(learner, "signaux_denoise")
    (name, values), = seance_store().board(code, secret).results["pred_signaux_0"]
    assert name == "Eva" and values["agrees"] in (0.0, 1.0)
    teacher.run()
    assert any("Ce que l'expérience a donné" in c.value for c in teacher.caption)


def test_a_reload_keeps_the_learner_in_the_seance():
    _, code, secret = opened()
    learner = joined(code, "Lou")
    again = app(PAGE, _token=learner.session_state["_token"])  # F5: a new session, the same browser
    assert again.session_state["seance"]["name"] == "Lou"
    assert [x.value for x in again.text] == ["Votre pseudonyme\u202f: Lou"]
    assert seance_store().board(code, secret).pseudonyms == ["Lou"]  # not joined twice
