"""Browser journey on « Espace latent et ACP »: train the 2D autoencoder, click a point, see its detail."""

import pytest

from tests.browser.conftest import goto, shot, wait_ready

pytestmark = pytest.mark.browser


def open_page(page):
    """Open the page from the sidebar. Streamlit resolves a typed URL against the file names in
    pages/ before app.py runs st.navigation, so /espace-latent (file espace_latent.py) first shows a
    "Page not found" dialog that blocks clicks."""
    goto(page, "")
    page.get_by_test_id("stSidebarNav").get_by_text("Espace latent et ACP").click()
    page.get_by_role("heading", name="Espace latent et ACP").wait_for()
    wait_ready(page)


def click_point(page, point):
    """Click where the marker is drawn: Plotly takes clicks on its drag layer, above the markers."""
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(200)  # let Plotly find the hovered point
    page.mouse.click(x, y)


def test_click_a_point_shows_original_and_both_reconstructions(page):
    # Through the menu: typing /espace-latent opens a "Page not found" dialog (see open_page).
    open_page(page)
    page.get_by_role("button", name="Entraîner l'autoencodeur 2D").click()
    page.get_by_role("heading", name="Deux cartes des mêmes images").wait_for(timeout=240_000)
    wait_ready(page)
    assert page.locator(".st-key-latent_detail").count() == 0

    charts = [page.locator(f".st-key-latent_map_{m} [data-testid='stPlotlyChart']") for m in ("ae", "pca")]
    ae_map = charts[0]
    ae_map.scroll_into_view_if_needed()
    points = ae_map.locator("path.point")
    assert points.count() >= 300  # SVG points of the balanced sample, all clickable
    click_point(page, points.nth(40))
    detail = page.locator(".st-key-latent_detail")
    detail.wait_for(timeout=60_000)
    wait_ready(page)
    images = detail.locator('[data-testid="stImage"] img')
    assert images.count() == 3
    captions = detail.inner_text()
    assert "original" in captions and "autoencodeur · MSE" in captions and "ACP · MSE" in captions
    # The same sample is ringed in both maps, and the ring survives the rerun.
    for i in (0, 1):
        assert charts[i].get_by_text("sélection").count() >= 1
    shot(page, "espace_latent_detail")

    # Clicking a point of the PCA map moves the selection.
    first = detail.get_by_text("Image n°").inner_text()
    click_point(page, charts[1].locator("path.point").nth(200))
    page.wait_for_function("t => !document.querySelector('.st-key-latent_detail').innerText.includes(t)",
                           arg=first, timeout=60_000)
    wait_ready(page)
    assert page.locator(".st-key-latent_detail [data-testid=\"stImage\"] img").count() == 3
    page.get_by_role("heading", name="Décoder n'importe quel point").scroll_into_view_if_needed()
    shot(page, "espace_latent_page")
