"""Browser journey on « Signaux et sons »: train the beat denoiser at its defaults, read the SNR table and
the beat chart, train on normal beats and read the anomaly results, then train the sound denoiser and find
a player with a source for each version of a sound."""

import pytest

from tests.browser.conftest import open_from_menu, shot, wait_ready

pytestmark = pytest.mark.browser


def test_denoise_a_heartbeat_then_find_the_abnormal_ones(page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_from_menu(page, "Signaux et sons")
    panel = page.get_by_role("tabpanel", name="Débruitage")
    panel.get_by_role("button", name="Entraîner l'autoencodeur débruiteur").click()
    panel.get_by_text("Le battement n°").wait_for(timeout=240_000)  # the chart's caption, once trained
    wait_ready(page)
    beat = panel.locator('[data-testid="stPlotlyChart"][aria-label*="temps (ms)"]')
    beat.locator(".scatterlayer .trace").nth(3).wait_for(timeout=60_000)  # clean, noisy, best filter, autoencoder
    panel.locator('[data-testid="stPlotlyChart"][aria-label*="SNR (dB)"]').wait_for(timeout=60_000)
    shot(page, "signaux_debruitage")

    page.get_by_role("tab", name="Battements anormaux").click()
    panel = page.get_by_role("tabpanel", name="Battements anormaux")
    panel.get_by_role("button", name="Entraîner sur les battements normaux").click()
    panel.get_by_text("Quelles anomalies l'autoencodeur trouve-t-il").wait_for(timeout=240_000)
    wait_ready(page)
    assert panel.get_by_text("Onde P absente").count() >= 1
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "signaux_anomalies")

    page.get_by_role("tab", name="Sons").click()
    panel = page.get_by_role("tabpanel", name="Sons")
    panel.get_by_role("button", name="Entraîner le débruiteur de sons").click()
    players = panel.locator("audio")
    players.nth(5).wait_for(state="attached", timeout=240_000)  # clean, noisy, three filters, the autoencoder
    wait_ready(page)
    sources = [players.nth(i).get_attribute("src") for i in range(6)]
    assert all(sources) and len(set(sources)) == 6  # six different sounds to hear
    shot(page, "signaux_sons")
