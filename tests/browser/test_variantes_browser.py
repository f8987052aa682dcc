"""Browser journey on « Variantes et compression »: train a variant, move the byte budget."""

import pytest

from tests.browser.conftest import open_from_menu, shot, wait_ready

pytestmark = pytest.mark.browser


def test_train_sparse_then_move_the_budget(page):
    open_from_menu(page, "Variantes et compression")
    page.get_by_role("button", name="Entraîner l'ordinaire puis la variante").click()
    page.get_by_role("heading", name="Ce que la pénalité change").wait_for(timeout=300_000)
    wait_ready(page)
    assert page.get_by_text("des unités proches de zéro").count() == 2  # plain and sparse, side by side
    heading = page.get_by_role("heading", name="Compression", exact=False).first
    heading.scroll_into_view_if_needed()
    chart = page.locator(".st-key-var_rd .js-plotly-plot, [data-testid='stPlotlyChart']").last
    assert chart.locator(".scatterlayer .trace").count() == 3  # PCA, autoencoder, JPEG (no VQ-VAE here)
    acp = page.get_by_text("ACP\u202f: k=", exact=False)
    before = acp.inner_text()
    shot(page, "variantes_budget_16")
    budget = page.get_by_test_id("stSlider").filter(has=page.get_by_text("Budget par image", exact=False))
    for _ in range(3):
        budget.get_by_role("slider").press("ArrowRight")
        wait_ready(page)
    assert budget.get_by_test_id("stSliderThumbValue").inner_text() == "48"
    assert acp.inner_text() != before  # more bytes: another setting, a better image
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "variantes_budget_48")


def test_train_contractive_and_compare_how_far_codes_move(page):
    open_from_menu(page, "Variantes et compression")
    page.get_by_text("Contractif (pénalise la jacobienne)").click()
    wait_ready(page)
    page.get_by_text("λ = 0,0005", exact=False).wait_for(timeout=10_000)  # the default on « Chiffres »
    page.get_by_role("button", name="Entraîner l'ordinaire puis la variante").click()
    page.get_by_role("heading", name="Ce que la pénalité change").wait_for(timeout=300_000)
    wait_ready(page)
    assert page.get_by_text("norme de la jacobienne normalisée").count() == 2  # plain and contractive
    moves = page.locator(".st-key-var_moves .js-plotly-plot")
    assert moves.locator(".barlayer .trace").count() == 2
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "variantes_contractif")
