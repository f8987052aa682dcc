"""Bounded load test on loopback: N learners train at once in one server.

    python -m bench.load --learners 30
    python -m bench.load --learners 30 --dataset mnist --visit latent generer --no-time-bar

The second is a class's worst case for memory: every learner trains the default model on MNIST
(mnist8k), then the whole class opens « Espace latent et ACP » and « Générer » with it; add
--in-server to train in the server's threads (AE_TRAIN_IN_CHILD=0) instead of a training process.

First one learner trains alone, to measure one training's server CPU time; then N learners press
« Démarrer » together. Reports each learner's server-side completion (from the server's own log
line at the job's end), the time until their page shows « Résultat », the CPU time of the server
and, separately, of the browsers, and the server's memory. Fails (exit code 1) when a learner does
not finish, shows an error, when a learner is overtaken by more than a round of turns, or when the
slowest server-side completion exceeds twice the CPU-bound limit: N x one training's server CPU
seconds / cores. With --no-time-bar only the first two count, nobody trains alone first and the
browsers keep their priority: the CI's small run (tests/browser/test_load.py) shares its machine
with other work, so its times say little.
"""

import argparse
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from runner.jobs import CHUNK_S
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, shot, start_server, wait_ready
from tests.browser.measure import (
    children_rss_mb,
    chromium_cpu_s,
    overtaken,
    renice_load,
    rss_mb,
    server_cpu_s,
    server_jobs,
)


def train_together(pages, timeout_s: float, after_clicks=lambda: None) -> tuple[dict, list, float]:
    """Press « Démarrer » on every page, call after_clicks(), then wait for « Résultat » on each:
    (times by page, pages with an error, seconds from the first click to the last)."""
    starts, finished, errors = {}, {}, []
    for i, page in enumerate(pages):
        page.get_by_role("button", name="Démarrer l'entraînement").click()
        starts[i] = time.perf_counter()
    after_clicks()
    deadline = time.perf_counter() + timeout_s
    while len(finished) < len(pages) and time.perf_counter() < deadline:
        for i, page in enumerate(pages):
            if i not in finished and page.get_by_role("heading", name="Résultat").count():
                finished[i] = time.perf_counter() - starts[i]
                if page.get_by_test_id("stException").count() or page.get_by_text("erreur inattendue").count():
                    errors.append(i)
        pages[0].wait_for_timeout(1000)
    for i, page in enumerate(pages):
        if i not in finished:  # what a learner left behind sees, for the report
            shot(page, f"charge_en_retard_{i}")
    return finished, errors, starts[len(pages) - 1] - starts[0]


VISITS = {"latent": "Espace latent et ACP", "generer": "Générer : autoencodeur et VAE"}


def visit_together(pages, label: str, timeout_s: float) -> tuple[float, list]:
    """Every learner opens the page `label` from the menu at once: (seconds until all have drawn it,
    pages with an error)."""
    start = time.perf_counter()
    for page in pages:
        # 30 browsers on 2 cores: a click may wait for the page before it longer than Playwright's 30 s
        page.get_by_test_id("stSidebarNav").get_by_text(label).click(timeout=timeout_s * 1000, no_wait_after=True)
    for page in pages:
        wait_ready(page, int(timeout_s * 1000))
    errors = [i for i, page in enumerate(pages)
              if page.get_by_test_id("stException").count() or page.get_by_text("erreur inattendue").count()]
    return time.perf_counter() - start, errors


def open_pages(browser, url: str, n: int) -> list:
    pages = []
    for _ in range(n):
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.goto(url)
        wait_ready(page)
        pages.append(page)
    return pages


def run(learners: int, browser, timeout_s: float = 600, lower_self: bool = False, solo: bool = True,
        dataset: str = "digits", visit: tuple[str, ...] = (), env: dict | None = None,
        epochs: int | None = None) -> dict:
    """One learner alone (unless not `solo`: no CPU-bound limit then), then `learners` at once, in
    contexts of `browser`, on `dataset`, who then open the pages of `visit` (VISITS keys) together;
    returns the measured figures. Only a timed run (`solo`) lowers the browsers' priority, so that the
    server's times are its own. `env`: the server's extra environment; `epochs`: the page's epochs, set
    by its address (memory does not depend on them; the run's length does)."""
    lower = renice_load if solo else (lambda *args, **kwargs: None)
    log = Path(tempfile.mkstemp(prefix="ae-load-", suffix=".log")[1])
    port = free_port()
    with open(log, "w") as err:
        server = start_server(port, env=env, stderr=err)
    peak, done = [0.0, 0.0], threading.Event()  # the server's RSS, its training process's

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(server.pid))
            peak[1] = max(peak[1], children_rss_mb(server.pid))
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    query = {"d": dataset} if dataset != "digits" else {}
    if epochs:
        query["e"] = epochs
    url = f"http://127.0.0.1:{port}/entrainer" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    visits = {}
    if lower_self:
        os.setpriority(os.PRIO_PROCESS, 0, 19)  # after the server started: it keeps its own priority
    try:
        lower(server.pid)
        alone = open_pages(browser, url, 1)  # without `solo`, the first of the learners
        one_session = rss_mb(server.pid)
        pages = open_pages(browser, url, learners) if solo else alone + open_pages(browser, url, learners - 1)
        all_sessions = rss_mb(server.pid)  # before any training: what a session costs by itself
        more_sessions = learners if solo else learners - 1
        lower(server.pid)
        cpu0 = server_cpu_s(server.pid)
        solo_times, solo_errors, _ = train_together(alone, timeout_s) if solo else ({}, [], 0.0)
        one_cpu = server_cpu_s(server.pid) - cpu0 if solo else float("nan")
        if solo:
            alone[0].context.close()
        # The 30 learners press « Démarrer » within seconds, as a class does when the teacher says so:
        # their browsers get the CPU they need to click, then go back to the lowest priority.
        lower(server.pid, group_nice=0)
        server0, browsers0, wall0 = server_cpu_s(server.pid), chromium_cpu_s(), time.perf_counter()
        finished, errors, clicks_s = train_together(pages, timeout_s, after_clicks=lambda: lower(server.pid))
        wall = time.perf_counter() - wall0
        server_cpu, browsers_cpu = server_cpu_s(server.pid) - server0, chromium_cpu_s() - browsers0
        trained_peak = list(peak)
        for name in visit:
            visits[name], visit_errors = visit_together(pages, VISITS[name], timeout_s)
            errors += [f"{name} {i}" for i in visit_errors]
        for page in pages:
            page.context.close()
    finally:
        done.set()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    jobs = server_jobs(log)[1 if solo else 0:]  # the first line is the learner alone
    server_times = [end - start for start, end in jobs]
    cores = os.cpu_count() or 1
    return {"learners": learners, "finished": len(finished), "errors": errors + solo_errors,
            "page_times": sorted(finished.values()), "server_times": sorted(server_times),
            "overtaken": overtaken(jobs, learners * CHUNK_S),
            "one_cpu_s": one_cpu, "cpu_bound_s": learners * one_cpu / cores, "cores": cores,
            "server_cpu_s": server_cpu, "browsers_cpu_s": browsers_cpu, "wall_s": wall,
            "solo_page_s": solo_times.get(0, float("nan")), "one_session_mb": one_session,
            "all_sessions_mb": all_sessions, "sessions": 1 + more_sessions,
            "peak_mb": peak[0], "training_peak_mb": peak[1], "clicks_s": clicks_s, "visits_s": visits,
            "trained_peak_mb": trained_peak, "dataset": dataset,
            "per_session_mb": (all_sessions - one_session) / max(1, more_sessions), "log": str(log)}


def verdict(r: dict, timed: bool = True) -> list[str]:
    """What went wrong, empty when the run passes its bar (`timed`: the fairness and time bars too)."""
    problems = []
    if r["finished"] < r["learners"] or len(r["server_times"]) < r["learners"]:
        problems.append(f"{r['learners'] - r['finished']} learner(s) left behind")
    if r["errors"]:
        problems.append(f"an error shown to {len(r['errors'])} learner(s)")
    if timed and r["overtaken"]:
        problems.append(f"{r['overtaken']} learner(s) waited while later ones finished (by more than a round of turns)")
    if timed and r["server_times"] and max(r["server_times"]) > 2 * r["cpu_bound_s"]:
        problems.append(f"slowest server-side completion {max(r['server_times']):.1f} s > 2 x {r['cpu_bound_s']:.1f} s")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--dataset", default="digits", choices=["digits", "mnist"])
    parser.add_argument("--visit", nargs="*", default=[], choices=list(VISITS),
                        help="pages the whole class opens together after training, in this order")
    parser.add_argument("--epochs", type=int, help="epochs of every training (the page's default otherwise)")
    parser.add_argument("--timeout-s", type=float, default=600, help="how long each step may take")
    parser.add_argument("--in-server", action="store_true", help="train in the server's threads (AE_TRAIN_IN_CHILD=0)")
    parser.add_argument("--no-time-bar", action="store_true",
                        help="fail only when a learner does not finish or sees an error (no training alone first)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        r = run(args.learners, browser, args.timeout_s, lower_self=not args.no_time_bar, solo=not args.no_time_bar,
                dataset=args.dataset, visit=tuple(args.visit), epochs=args.epochs,
                env={"AE_TRAIN_IN_CHILD": "0"} if args.in_server else None)
        browser.close()
    times = r["server_times"]
    print(f"dataset: {r['dataset']}" + (f", {args.epochs} epochs" if args.epochs else "")
          + (", training in the server's threads" if args.in_server else ""))
    print(f"learners: {r['learners']}, pages showing « Résultat »: {r['finished']}, with an error: {len(r['errors'])}")
    if not args.no_time_bar:
        print(f"one training alone: {r['one_cpu_s']:.2f} s of server CPU"
              f", « Résultat » after {r['solo_page_s']:.1f} s")
    print(f"the {r['learners']} learners pressed « Démarrer » within {r['clicks_s']:.1f} s")
    if not args.no_time_bar:
        print(f"CPU-bound limit: {r['learners']} x {r['one_cpu_s']:.2f} s / {r['cores']} cores "
              f"= {r['cpu_bound_s']:.1f} s")
    if times:
        print(f"server-side completion (s): fastest {times[0]:.1f}, median {times[len(times) // 2]:.1f}, "
              f"slowest {times[-1]:.1f}" + ("" if args.no_time_bar else
                                            f" = {times[-1] / r['cpu_bound_s']:.2f} x the limit"))
    print(f"learners who saw a later starter finish more than a round of turns before them: {r['overtaken']}")
    print("« Résultat » on the page (s): " + ", ".join(f"{t:.1f}" for t in r["page_times"]))
    print(f"CPU during the {r['wall_s']:.0f} s of the run: server {r['server_cpu_s']:.1f} s, "
          f"browsers {r['browsers_cpu_s']:.1f} s")
    print(f"server RSS: {r['one_session_mb']:.0f} MB with one session, {r['all_sessions_mb']:.0f} MB with "
          f"{r['sessions']} (before training), peak {r['peak_mb']:.0f} MB while training; one more session: "
          f"{r['per_session_mb']:.1f} MB; training process: peak {r['training_peak_mb']:.0f} MB")
    print(f"peaks until every training ended: server {r['trained_peak_mb'][0]:.0f} MB, training process "
          f"{r['trained_peak_mb'][1]:.0f} MB")
    for name, seconds in r["visits_s"].items():
        print(f"all {r['learners']} learners opened « {VISITS[name]} » in {seconds:.1f} s")
    print(f"peaks over the whole run: server {r['peak_mb']:.0f} MB + training process {r['training_peak_mb']:.0f} MB"
          f" = {r['peak_mb'] + r['training_peak_mb']:.0f} MB")
    problems = verdict(r, timed=not args.no_time_bar)
    print("PASS" if not problems else "FAIL: " + "; ".join(problems))
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
