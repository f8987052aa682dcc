"""Browser journeys for « Dessiner un chiffre » and for a reload that loses nothing."""

import pytest

from tests.browser.conftest import draw_a_one, goto, open_from_menu, shot, wait_ready

pytestmark = pytest.mark.browser


def sidebar_says(page, text: str) -> bool:
    return page.get_by_test_id("stSidebar").get_by_text(text).is_visible()


def test_draw_then_reload_keeps_the_model_and_another_learner_sees_nothing(page, browser, app_url):
    goto(page, "entrainer")
    page.get_by_role("button", name="Démarrer l'entraînement").click()
    page.get_by_role("heading", name="Résultat").wait_for(timeout=300_000)
    wait_ready(page)
    draw_a_one(page)
    page.get_by_text("votre dessin en 8 × 8").wait_for(timeout=60_000)
    assert page.locator(".js-plotly-plot").filter(has_text="Le code z de votre dessin").count() == 1
    shot(page, "entrainer_dessin")

    page.reload()  # F5: a new session of the same learner
    wait_ready(page)
    page.get_by_role("heading", name="Résultat").wait_for(timeout=60_000)
    assert sidebar_says(page, "Entraîné sur")
    assert page.get_by_text("reconstruit mieux que l'ACP").is_visible()
    traces = page.locator(".js-plotly-plot .scatterlayer .trace")
    traces.nth(2).wait_for(timeout=30_000)  # Plotly draws after the page is ready; on a busy machine, later
    assert traces.count() >= 3  # the loss curves, as they were
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "entrainer_apres_rechargement")

    other = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=app_url).new_page()
    goto(other, "entrainer")
    assert sidebar_says(other, "Non entraîné")  # another learner never reaches it
    assert other.get_by_role("heading", name="Résultat").count() == 0
    other.context.close()

    page.get_by_role("button", name="Oublier mes données").click()
    page.get_by_role("dialog").get_by_role("button", name="Oui, tout oublier").click()  # it asks first
    wait_ready(page)
    assert sidebar_says(page, "Non entraîné")
    page.reload()
    wait_ready(page)
    assert sidebar_says(page, "Non entraîné")  # forgotten on the server too


def test_a_drawing_lands_on_both_latent_maps(page):
    open_from_menu(page, "Espace latent et ACP")
    page.get_by_role("button", name="Entraîner l'autoencodeur 2D").click()
    page.get_by_role("heading", name="Deux cartes des mêmes images").wait_for(timeout=240_000)
    wait_ready(page)
    draw_a_one(page)
    page.get_by_text("reconstruit par l'ACP").wait_for(timeout=60_000)
    for m in ("ae", "pca"):
        legend = page.locator(f".st-key-latent_map_{m} .legend")
        assert legend.get_by_text("votre dessin").count() == 1
    page.locator(".st-key-latent_map_ae").scroll_into_view_if_needed()
    shot(page, "espace_latent_dessin")
