"""Browser journey on « Générer : autoencodeur et VAE »: train both models, draw, redraw, move β."""

import pytest

from tests.browser.conftest import open_from_menu, shot, wait_ready

pytestmark = pytest.mark.browser


def train(page):
    page.get_by_role("button", name="Entraîner l'autoencodeur puis le VAE").click()
    page.get_by_role("heading", name="Tirer au hasard", exact=True).wait_for(timeout=300_000)
    wait_ready(page)


def vae_numbers(page) -> str:
    return page.get_by_text("confiance 0,").first.inner_text()  # under the VAE's grid


def test_train_both_draw_again_and_move_beta(page):
    open_from_menu(page, "Générer")
    train(page)
    assert page.get_by_test_id("stException").count() == 0
    grids = page.get_by_test_id("stImage")
    assert grids.count() >= 3 and grids.first.bounding_box()["width"] > 150
    first = vae_numbers(page)
    grid_src = grids.first.locator("img").get_attribute("src")
    page.get_by_role("heading", name="Tirer au hasard", exact=True).scroll_into_view_if_needed()
    shot(page, "generer_tirages")

    page.get_by_role("button", name="Nouveau tirage").click()
    wait_ready(page)
    assert vae_numbers(page) != first and grids.first.locator("img").get_attribute("src") != grid_src
    page.get_by_role("heading", name="Deux cartes latentes", exact=True).scroll_into_view_if_needed()
    shot(page, "generer_cartes")

    beta = page.get_by_test_id("stSlider").filter(has=page.get_by_text("β, le poids", exact=False))
    page.get_by_role("heading", name="Générer", exact=False).first.scroll_into_view_if_needed()
    for _ in range(2):
        beta.get_by_role("slider").press("ArrowRight")
        wait_ready(page)
    assert beta.get_by_test_id("stSliderThumbValue").inner_text() == "4,00"
    assert "beta=4" in page.url
    page.get_by_role("button", name="Réinitialiser").click()
    wait_ready(page)
    train(page)
    assert vae_numbers(page) != first
    page.get_by_role("heading", name="Netteté", exact=True).scroll_into_view_if_needed()
    shot(page, "generer_nettete_beta4")
