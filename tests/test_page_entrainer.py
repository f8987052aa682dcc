"""App test of the page « Entraîner »: what its lesson says about the learner's own run."""

from tests.app_driver import app, start_and_train
from ui.fmt import fr
from ui.state import pca_val_mse


def exercises(at) -> str:
    return next(m.value for m in at.markdown if "Le réglage par défaut" in m.value)


def test_the_exercises_show_the_learners_own_figures_once_trained():
    at = app("pages/entrainer.py", train_epochs=2)
    assert "Votre dernier entraînement" not in exercises(at) and "{run:" not in exercises(at)
    at = start_and_train(at, "train")
    current = at.session_state["current_model"]
    mse, pca = current.history.val_mse[-1], pca_val_mse("digits", 12)
    assert f"{fr(mse)} contre {fr(pca)} pour l'ACP, avec un code de 12 nombres" in exercises(at)
    assert "{held:" not in exercises(at) and "environ 0,009" in exercises(at)  # the recipe's figure, from the registry
