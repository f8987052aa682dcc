"""Within reach: each page's first experiment control near the top, at 1400 × 900 and on a phone."""

import pytest

from tests.browser.conftest import goto, shot
from tests.pages import routed_pages

pytestmark = pytest.mark.browser

# The first start button of the page (its key ends in _start), else its first form's button (« Rejoindre » on
# « La classe en direct »), else the first page link of the main area.
FIRST_CONTROL = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const starts = [...main.querySelectorAll('[class*="st-key-"]')].filter(e => /st-key-\\S+_start\\b/.test(e.className));
  const el = starts[0] || main.querySelector('[data-testid="stFormSubmitButton"]')
    || main.querySelector('[data-testid="stPageLink"]');
  if (!el || !el.innerText.trim()) return null;
  const top = el.getBoundingClientRect().top + (document.scrollingElement.scrollTop || 0);
  return {top: Math.round(top), name: el.innerText.split("\\n")[0]};
}"""
SIZES = {"ecran": ({"width": 1400, "height": 900}, 900), "telephone": ({"width": 390, "height": 844}, 2 * 844)}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("routed", routed_pages(), ids=lambda p: p.name)
def test_the_first_experiment_control_is_within_reach(browser, app_url, routed, size):
    viewport, limit = SIZES[size]
    context = browser.new_context(viewport=viewport, locale="fr-FR", base_url=app_url,
                                  is_mobile=size == "telephone", has_touch=size == "telephone")
    page = context.new_page()
    try:
        goto(page, routed.address)
        found = page.wait_for_function(FIRST_CONTROL, timeout=30_000).json_value()
        print(f"FIGURE first control of /{routed.address} at {size} size: {found['top']} px ({found['name']!r})")
        shot(page, f"reach_{routed.name}_{size}")
        assert found["top"] < limit, found
    finally:
        context.close()


@pytest.mark.parametrize("address, says", [("debruitage?n=beaucoup", "Réglages de l'adresse ignorés"),
                                           ("entrainer?d=nope", "Jeu de données inconnu")])
def test_what_a_bad_address_changed_is_said_at_the_top_of_the_page(page, address, says):
    page.set_viewport_size({"width": 1400, "height": 900})
    goto(page, address)
    notice = page.get_by_test_id("stMain").get_by_text(says).first
    notice.wait_for(timeout=30_000)
    assert notice.bounding_box()["y"] < 900


def test_in_mode_classe_buttons_and_page_names_keep_their_whole_labels(page):
    page.set_viewport_size({"width": 1400, "height": 900})
    goto(page, "entrainer?classe=1")
    page.locator(".st-key-train_start button").click()
    page.locator(".st-key-train_toggle button").wait_for(timeout=30_000)  # « Pause » while it runs
    page.locator(".st-key-train_toggle button").click()  # « Reprendre », the longest label
    page.get_by_role("button", name="Reprendre").wait_for(timeout=30_000)
    clipped = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] button')]
        .filter(b => b.offsetParent && b.scrollWidth > b.clientWidth + 1).map(b => b.innerText)""")
    # Texts Streamlit ends in « … » when they overflow: page names in the menu, popover labels.
    clipped += page.evaluate("""() => [...document.querySelectorAll('.stMarkdownEllipsis')]
        .filter(e => e.offsetParent && (e.scrollWidth > e.clientWidth + 1 ||
                                        [...e.querySelectorAll('p')].some(p => p.scrollWidth > p.clientWidth + 1)))
        .map(e => e.innerText)""")
    shot(page, "mode_classe_boutons")
    assert not clipped, clipped


def test_on_a_phone_the_menu_folds_away_once_a_page_is_chosen(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", base_url=app_url,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        goto(page, "")
        page.get_by_test_id("stExpandSidebarButton").click()
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Détection d'anomalies").click()
        page.get_by_role("heading", name="Détection d'anomalies").first.wait_for(timeout=30_000)
        page.wait_for_function("""() => {
            const s = document.querySelector('[data-testid="stSidebar"]');
            return s.getAttribute('aria-expanded') === 'false' || s.getBoundingClientRect().right <= 0; }""",
                               timeout=30_000)  # the full suite's other worker may hold the CPU meanwhile
        shot(page, "telephone_menu_replie")
    finally:
        context.close()
