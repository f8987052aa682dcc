"""The generation page's trainings timed through the app, one learner, from click to result.

    python -m bench.page_times                  # MNIST (mnist8k served as MNIST), then « Chiffres »

A real server (the default deployment: one training process) and a headless Chromium. For each
dataset: the autoencoder + VAE pair, then the five-β sweep, each from its button to its first
result on screen; the wall time and the CPU time of the server and its training process over the
same span, beside the duration the page announced before the click (runner.estimate). The first pair
also trains the judge (the small classifier behind the draws' figures), once per dataset for the
whole server; the sweep's figures reuse it.
"""

from __future__ import annotations

import argparse
import time

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, wait_ready
from tests.browser.measure import server_cpu_s

STEPS = (("pair", "Entraîner l'autoencodeur puis le VAE", "Tirer au hasard"),
         ("sweep", "Entraîner les cinq VAE", "confiance du juge dans les tirages"))


def time_page(page, server_pid: int, dataset: str, timeout_s: float) -> dict[str, tuple[float, float, str]]:
    """{step: (wall seconds, server CPU seconds, the duration the page announced)} from each step's
    click to its result on screen."""
    page.goto(f"/generer?d={dataset}" if dataset != "digits" else "/generer")
    wait_ready(page)
    times = {}
    for name, button, result in STEPS:
        start_button = page.get_by_role("button", name=button)
        announced = start_button.locator("xpath=following::p[contains(., 'Durée prévue')][1]").inner_text()
        cpu, start = server_cpu_s(server_pid), time.perf_counter()
        start_button.click()
        page.get_by_text(result).first.wait_for(timeout=timeout_s * 1000)
        times[name] = time.perf_counter() - start, server_cpu_s(server_pid) - cpu, announced
        wait_ready(page)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mnist,digits")
    parser.add_argument("--timeout-s", type=float, default=900)
    args = parser.parse_args(argv)
    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for dataset in args.datasets.split(","):
                page = browser.new_context(base_url=f"http://127.0.0.1:{port}",
                                           viewport={"width": 1400, "height": 1000}).new_page()
                for name, (wall, cpu, announced) in time_page(page, server.pid, dataset, args.timeout_s).items():
                    print(f"{dataset} {name}: {wall:.1f} s from click to result, server CPU {cpu:.1f} s; "
                          f"the page announced: {announced}", flush=True)
                page.context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
