"""Browser journey on « Débruitage et restauration »: train the denoiser, move the noise slider,
see the images and PSNR values change without retraining."""

import pytest

from tests.browser.conftest import free_port, goto, shot, start_server, stop_server, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(browser):
    """A page on a server of its own with one torch thread: the journey trains the page's default
    denoiser, and on this shared 2-core machine one intra-op thread trains it several times faster
    than two under load (see tests/test_restore.py)."""
    port = free_port()
    proc = start_server(port, {"AE_TORCH_THREADS": "1"})
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR",
                                  base_url=f"http://127.0.0.1:{port}")
    yield context.new_page()
    context.close()
    stop_server(proc)


def panel_state(panel) -> tuple[list[str], list[str]]:
    """(PSNR texts, image sources) of the denoising tab, left to right."""
    metrics = panel.locator('[data-testid="stMetricValue"]').all_inner_texts()
    images = [img.get_attribute("src") for img in panel.locator('[data-testid="stImage"] img').all()]
    return metrics, images


def test_noise_slider_updates_images_and_psnr(page):
    goto(page)  # the home page first: the app's router, then its menu, as a learner would
    page.get_by_role("link", name="Débruitage et restauration").click()
    wait_ready(page)
    panel = page.get_by_role("tabpanel", name="Débruitage")
    page.get_by_role("button", name="Entraîner l'autoencodeur débruiteur").click()
    # Original, noisy and denoised columns each show a PSNR once the denoiser is trained.
    panel.locator('[data-testid="stMetricValue"]').nth(2).wait_for(timeout=240_000)
    wait_ready(page)
    metrics, images = panel_state(panel)
    assert metrics[0] == "référence" and len(metrics) == 3 and len(images) == 3  # plain AE untrained
    noisy_db = float(metrics[1].replace("\u00a0", " ").removesuffix(" dB").replace(",", "."))
    assert 10 < noisy_db < 16  # the course's noise at 0.3 on 8x8 digits
    shot(page, "debruitage_trained")

    thumb = panel.locator('[data-testid="stSlider"]').filter(
        has=page.get_by_text("Niveau de bruit", exact=True)).get_by_role("slider")
    for _ in range(20):  # 0,30 -> 0,60 by steps of 0,05; a key pressed during a rerun may be lost
        if "0,60" in (thumb.get_attribute("aria-valuetext") or ""):
            break
        thumb.press("ArrowRight")
        page.wait_for_timeout(300)
    page.get_by_text("Bruitée (0,60)").wait_for(timeout=30_000)
    wait_ready(page)
    metrics2, images2 = panel_state(panel)
    assert images2[0] == images[0]  # the original stays
    assert images2[1] != images[1] and images2[2] != images[2]  # noisy input and its denoising
    assert metrics2[1] != metrics[1] and metrics2[2] != metrics[2]
    assert float(metrics2[1].replace("\u00a0", " ").removesuffix(" dB").replace(",", ".")) < noisy_db
    shot(page, "debruitage_noise_060")
