"""Browser journeys on « Sons »: train the sound denoiser and find a player for each version of a sound;
record a voice through Chromium's fake microphone (a WAV file of synthetic vowels stands for the learner)
and train on it; send a WAV file, and a file that is not one."""

import numpy as np
import pytest

from ae_core.sound import synthetic_sounds, to_wav_bytes
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, open_from_menu, shot, wait_ready

pytestmark = pytest.mark.browser
MENU = "Sons\u202f: débruiter, compresser, votre voix"


def vowels_wav(seconds: int, rate: int = 48_000) -> bytes:
    x = np.concatenate(list(synthetic_sounds(seconds, 1.0, seed=7)))  # (8000 * seconds,) at 8 kHz
    return to_wav_bytes(np.repeat(x, rate // 8000), rate)


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("voice") / "voix.wav"
    path.write_bytes(vowels_wav(8))
    return path


@pytest.fixture
def mic_page(browser, app_url, voice_file):
    """A page in a second Chromium whose microphone plays `voice_file` (the permission is granted)."""
    mic_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={voice_file}"])
    context = mic_browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR", base_url=app_url,
                                      permissions=["microphone"])
    yield context.new_page()
    mic_browser.close()


def test_denoise_a_sound_and_hear_every_version(page):
    open_from_menu(page, MENU)
    panel = page.get_by_role("tabpanel", name="Débruitage")
    panel.get_by_role("button", name="Entraîner le débruiteur de sons").click()
    players = panel.locator("audio")
    players.nth(6).wait_for(state="attached", timeout=240_000)  # clean, noisy, four filters, the autoencoder
    wait_ready(page)
    sources = [players.nth(i).get_attribute("src") for i in range(7)]
    assert all(sources) and len(set(sources)) == 7  # seven different sounds to hear
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "sons_debruitage")


def test_record_a_voice_then_train_on_it(mic_page):
    page = mic_page
    open_from_menu(page, MENU)
    page.get_by_role("tab", name="Votre voix").click()
    panel = page.get_by_role("tabpanel", name="Votre voix")
    recorder = panel.get_by_test_id("stAudioInput")
    recorder.get_by_role("button", name="Record").click()
    page.wait_for_timeout(5_000)  # five seconds of the fake microphone's vowels
    recorder.get_by_role("button", name="Stop recording").click()
    panel.get_by_role("button", name="Entraîner sur ma voix").wait_for(timeout=60_000)
    wait_ready(page)
    panel.get_by_role("button", name="Entraîner sur ma voix").click()
    panel.get_by_text("Sur votre voix, l'autoencodeur").wait_for(timeout=240_000)
    wait_ready(page)
    players = panel.locator("audio")
    assert players.count() >= 4  # clean, noisy, best filter, autoencoder (the recorder has its own)
    assert panel.get_by_text("la fin de votre enregistrement").count() >= 1
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "sons_voix")


def test_send_a_wav_file_and_a_file_that_is_not_one(page, voice_file, tmp_path):
    open_from_menu(page, MENU)
    page.get_by_role("tab", name="Votre voix").click()
    panel = page.get_by_role("tabpanel", name="Votre voix")
    not_wav = tmp_path / "faux.wav"
    not_wav.write_bytes(b"RIFF-but-not-really-a-wave-file" * 10)
    panel.locator('input[type="file"]').set_input_files(str(not_wav))
    panel.get_by_text("n'est pas un fichier WAV lisible").wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    panel.locator('input[type="file"]').set_input_files(str(voice_file))
    panel.get_by_role("button", name="Entraîner sur ma voix").wait_for(timeout=60_000)
    wait_ready(page)
    assert panel.get_by_text("n'est pas un fichier WAV lisible").count() == 0
    shot(page, "sons_voix_fichier")


def test_a_sound_in_bytes_drawn_and_heard_at_a_budget(page):
    page.set_viewport_size({"width": 1400, "height": 4200})  # the main area scrolls inside: a tall window shows it all
    open_from_menu(page, MENU)
    page.get_by_role("tab", name="Un son en octets").click()
    panel = page.get_by_role("tabpanel", name="Un son en octets")
    panel.get_by_role("button", name="Entraîner l'autoencodeur compresseur").click()
    chart = panel.locator('[data-testid="stPlotlyChart"][aria-label*="octets par seconde"]')
    chart.wait_for(timeout=240_000)
    chart.locator(".scatterlayer .trace").nth(3).wait_for(timeout=60_000)  # autoencoder, PCA, Opus, MP3
    wait_ready(page)
    players = panel.locator("audio")
    sources = [players.nth(i).get_attribute("src") for i in range(6)]
    assert all(sources) and len(set(sources)) == 6  # the sound, then five ways to send it
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "sons_octets")
