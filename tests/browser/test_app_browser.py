"""Browser journeys through the shell and the training page, with screenshots and measured figures."""

import time

import pytest

from tests.browser.conftest import free_port, goto, shot, start_server, stop_server, wait_ready
from tests.pages import routed_pages

pytestmark = pytest.mark.browser

@pytest.mark.parametrize("routed", routed_pages(), ids=lambda p: p.name)
def test_every_page_opens_by_its_address(page, routed):
    url_path, title = routed.address, routed.heading  # the default page lives at the root address
    start = time.perf_counter()
    goto(page, url_path)
    print(f"FIGURE page ready /{url_path}, first visit: {time.perf_counter() - start:.2f} s")
    page.get_by_role("heading", name=title).first.wait_for()
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_test_id("stSidebar").get_by_text("Le modèle courant").is_visible()
    shot(page, f"page_{url_path or 'accueil'}")


def test_train_on_digits_by_clicking(page):
    goto(page, "entrainer")
    page.get_by_role("button", name="Démarrer l'entraînement").click()
    start = time.perf_counter()
    page.get_by_role("heading", name="Résultat").wait_for(timeout=300_000)
    print(f"FIGURE default digits training, click to result: {time.perf_counter() - start:.2f} s")
    wait_ready(page)
    assert page.get_by_test_id("stException").count() == 0
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    assert chart.is_visible() and chart.bounding_box()["height"] > 200
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() == 3  # every batch, train and validation
    grid = page.get_by_test_id("stImage").first
    assert grid.is_visible() and grid.bounding_box()["width"] > 300
    assert page.get_by_text("reconstruit mieux que l'ACP").is_visible()
    assert page.get_by_test_id("stSidebar").get_by_text("Entraîné sur").is_visible()
    shot(page, "entrainer_fin")


def test_settings_survive_a_visit_to_another_page(page):
    goto(page, "entrainer")
    page.get_by_text("Réglages avancés").click()  # the widths live in the advanced fold
    widths = page.get_by_role("textbox", name="Largeurs des couches cachées")
    widths.fill("32, 16")
    widths.press("Enter")
    wait_ready(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Accueil").click()
    page.get_by_role("heading", name="Atelier autoencodeurs").wait_for()
    wait_ready(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Entraîner un autoencodeur").click()
    page.get_by_role("heading", name="Entraîner un autoencodeur").wait_for()
    wait_ready(page)
    page.get_by_text("Réglages avancés").click()
    assert page.get_by_role("textbox", name="Largeurs des couches cachées").input_value() == "32, 16"


def test_unreachable_dataset_falls_back_to_digits(page):
    goto(page, "")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Fashion-MNIST (28×28)").click()
    sidebar.get_by_text("Impossible de télécharger").wait_for(timeout=60_000)
    wait_ready(page)
    shot(page, "hors_ligne")
    assert sidebar.get_by_test_id("stSelectbox").locator("input").input_value() == "Chiffres (scikit-learn, 8×8)"
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "hors_ligne")


def test_a_fresh_server_opened_on_a_page_address_routes_it_through_app_py(browser):
    """ui.shell.route_through_app: the very first request of a new server is /anomalies, not /."""
    port = free_port()
    proc = start_server(port)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/anomalies")
        wait_ready(page)
        page.get_by_role("heading", name="Détection d'anomalies").first.wait_for()
        nav = page.get_by_test_id("stSidebarNav")
        for title in ("Accueil", "Entraîner un autoencodeur", "Espace latent et ACP", "Débruitage et restauration"):
            assert nav.get_by_text(title).is_visible()
        assert page.get_by_test_id("stSidebar").get_by_text("Le modèle courant").is_visible()
        assert page.get_by_test_id("stException").count() == 0
        shot(page, "premier_acces_anomalies")
    finally:
        context.close()
        stop_server(proc)


def test_a_teacher_steps_through_training(page):
    goto(page, "entrainer")
    page.get_by_role("button", name="Un pas").click()
    progress = page.get_by_test_id("stProgress")
    progress.get_by_text("lot 1/").wait_for(timeout=60_000)
    wait_ready(page)
    traces = page.locator(".js-plotly-plot .scatterlayer .trace")
    traces.first.wait_for(timeout=30_000)  # Plotly draws after the page is ready; on a busy machine, later
    assert traces.count() == 1  # the first batch's loss
    grid = page.get_by_test_id("stImage").first.locator("img")
    before = grid.get_attribute("src")
    page.get_by_role("button", name="Une époque").click()
    progress.get_by_text("Époque 2/").wait_for(timeout=60_000)
    wait_ready(page)
    assert grid.get_attribute("src") != before  # the live reconstructions follow the steps
    traces.nth(2).wait_for(timeout=30_000)
    assert traces.count() == 3  # every batch, training, held out
    assert page.get_by_role("button", name="Reprendre").is_visible()
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "entrainer_pas_a_pas")


def test_a_teachers_link_opens_the_page_with_its_settings(page):
    goto(page, "entrainer?d=digits&a=mlp&k=2&b=relu&lr=0.003&n=abc")
    page.get_by_role("heading", name="Entraîner un autoencodeur").wait_for()
    latent = page.get_by_test_id("stSlider").filter(has=page.get_by_text("Taille du code z", exact=False))
    assert latent.get_by_test_id("stSliderThumbValue").inner_text() == "2"
    assert page.get_by_role("radio", name="ReLU").is_checked()
    assert page.get_by_text("n=abc").is_visible()  # the bad value is named in the French notice
    page.get_by_role("button", name="Copier le lien de ce réglage").click()
    link = page.get_by_test_id("stCode").filter(has_text="?d=digits")
    link.wait_for()
    assert "k=2" in link.inner_text() and "b=relu" in link.inner_text() and "lr=0.003" in link.inner_text()
    assert "k=2" in page.url and "b=relu" in page.url  # the address bar carries the settings too
    shot(page, "entrainer_lien")
    page.get_by_test_id("stSidebarNav").get_by_text("Détection d'anomalies").click()
    page.get_by_role("heading", name="Détection d'anomalies").wait_for()
    wait_ready(page)
    assert page.get_by_text("Réglages de l'adresse ignorés").count() == 0  # another page, its own settings
    assert "c=0" in page.url


def test_mode_classe_from_a_link(page):
    goto(page, "entrainer?classe=1&verrou=1&k=2&lr=0.001")
    page.get_by_role("heading", name="Entraîner un autoencodeur").wait_for()
    toggle = page.get_by_test_id("stSidebar").get_by_test_id("stCheckbox").filter(has_text="Mode classe")
    assert toggle.locator("input").is_checked()
    labels = page.get_by_test_id("stWidgetLabel")
    labels.filter(has_text="Taux d'apprentissage").wait_for(timeout=10_000)  # a busy machine draws late
    assert labels.filter(has_text="Taux d'apprentissage").count() == 1  # advanced, but named by the link
    assert labels.filter(has_text="Largeurs des couches cachées").count() == 0  # advanced: hidden
    assert labels.filter(has_text="Taille de lot").count() == 0
    assert page.get_by_test_id("stSidebar").get_by_text("Le modèle courant").is_visible()  # still in the sidebar
    font = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert font == "21px"  # larger letters for the projector
    latent = page.get_by_test_id("stSlider").filter(has=page.get_by_text("Taille du code z", exact=False))
    latent.get_by_role("slider").press("ArrowRight", timeout=5_000)  # locked by the link: nothing moves
    page.wait_for_timeout(500)
    assert latent.get_by_test_id("stSliderThumbValue").inner_text() == "2"
    shot(page, "mode_classe")
