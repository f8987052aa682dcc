"""What one more learner costs the server in memory, with a trained model, a drawing and a settings link.

    python -m bench.session_memory --sessions 6

Each learner opens the training page through a settings link, trains the default model on digits,
draws a digit, opens the anomaly page and trains there too, then stays connected. Prints the server's resident
memory after each learner and the mean growth per learner after the first (the first one also pays
for the caches every later learner shares).
"""

import argparse

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, draw_a_one, free_port, start_server, wait_ready
from tests.browser.measure import rss_mb

LINK = "entrainer?d=digits&a=mlp&k=2&w=128,64&b=linear&e=100"


def learner(browser, base: str):
    """A new browser context that trains on two pages; returns its page (kept open)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR").new_page()
    page.goto(f"{base}/{LINK}")
    wait_ready(page)
    page.get_by_role("button", name="Démarrer l'entraînement").click()
    page.get_by_role("heading", name="Résultat").wait_for(timeout=120_000)
    wait_ready(page)
    draw_a_one(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Détection d'anomalies").click()
    wait_ready(page)
    page.get_by_role("button", name="Entraîner sur les classes normales").click()
    page.get_by_text("Comparaison sur la même séparation des données").wait_for(timeout=120_000)
    wait_ready(page)
    return page


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=6)
    args = parser.parse_args()
    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            before = rss_mb(server.pid)
            rss, pages = [], []
            for i in range(args.sessions):
                pages.append(learner(browser, f"http://127.0.0.1:{port}"))
                rss.append(rss_mb(server.pid))
                print(f"learner {i + 1}: server RSS {rss[-1]:.0f} MB", flush=True)
            growth = (rss[-1] - rss[0]) / max(1, len(rss) - 1)
            print(f"server RSS {before:.0f} MB before any learner, {rss[0]:.0f} MB after the first; "
                  f"{growth:.1f} MB per further learner (trained model on two pages, a drawing, settings link)")
            browser.close()
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
