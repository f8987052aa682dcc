"""Bounded load test on loopback: N learners train on digits at once in one server.

    python -m tests.browser.load --learners 10

Prints each learner's time from « Démarrer » to the result, the slowest, the server's resident
memory (idle, after one session, after all) and the cost of one more session.
"""

import argparse
import subprocess
import threading
import time

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, wait_ready


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def run(learners: int, browser, timeout_s: float = 600) -> dict:
    """Train on digits in `learners` contexts of `browser` at once; returns the measured figures."""
    port = free_port()
    server = start_server(port)
    peak = [0.0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(server.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        url = f"http://127.0.0.1:{port}/entrainer"
        pages = []
        for i in range(learners):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.goto(url)
            wait_ready(page)
            pages.append(page)
            if i == 0:
                one_session = rss_mb(server.pid)
        all_sessions = rss_mb(server.pid)
        starts = {}
        for i, page in enumerate(pages):
            page.get_by_role("button", name="Démarrer l'entraînement").click()
            starts[i] = time.perf_counter()
        finished, errors = {}, []
        deadline = time.perf_counter() + timeout_s
        while len(finished) < learners and time.perf_counter() < deadline:
            for i, page in enumerate(pages):
                if i not in finished and page.get_by_role("heading", name="Résultat").count():
                    finished[i] = time.perf_counter() - starts[i]
                    if page.get_by_test_id("stException").count() or page.get_by_text("erreur inattendue").count():
                        errors.append(i)
            pages[0].wait_for_timeout(250)
        for page in pages:
            page.context.close()
    finally:
        done.set()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"learners": learners, "finished": len(finished), "errors": errors,
            "times": sorted(finished.values()), "one_session_mb": one_session,
            "all_sessions_mb": all_sessions, "peak_mb": peak[0],
            "per_session_mb": (all_sessions - one_session) / max(1, learners - 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        r = run(args.learners, browser)
        browser.close()
    print(f"learners: {r['learners']}, finished: {r['finished']}, with an error shown: {len(r['errors'])}")
    print("completion times (s): " + ", ".join(f"{t:.1f}" for t in r["times"]))
    print(f"slowest completion: {max(r['times'], default=float('nan')):.1f} s")
    print(f"server RSS: {r['one_session_mb']:.0f} MB with one session, {r['all_sessions_mb']:.0f} MB with "
          f"{r['learners']}, peak {r['peak_mb']:.0f} MB while training; one more session: "
          f"{r['per_session_mb']:.1f} MB")


if __name__ == "__main__":
    main()
