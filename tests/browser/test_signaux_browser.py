"""Browser journey on « Signaux : battements de cœur »: train the beat denoiser at its defaults, read the SNR
table and the beat chart, then train on normal beats and read the anomaly results."""

import pytest

from tests.browser.conftest import open_from_menu, shot, wait_ready

pytestmark = pytest.mark.browser


def test_denoise_a_heartbeat_then_find_the_abnormal_ones(page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_from_menu(page, "Signaux : battements de cœur")
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
