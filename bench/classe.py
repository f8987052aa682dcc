"""A class in a séance, on loopback: N learners join, answer, and train their assigned setting while the
teacher's board is open.

    python -m bench.classe --learners 30            # séances in the server's memory
    python -m bench.classe --learners 30 --redis    # in a real redis-server (started here, no persistence)

The teacher opens a séance on « La classe en direct » and starts the class experiment on the code size;
N learners (each their own browser context, so their own cookie) join with the code, answer the
page's calculation, open « Entraîner », whose code size the séance locks, and press « Démarrer ». The
board must show the N answers, then N results, with no error on any page. Reported: for each answer,
the seconds from the click to the board's count including it (the board polls every second; the
learner's own rerun comes first); the seconds until the last result; and the server's CPU seconds
over a quiet window with the board open against the same window with it closed: the board's own cost.
Exit code 1 when a result is missing, a page shows an error, or an answer took more than 2 s.
"""

import argparse
import shutil
import subprocess
import tempfile
import time

import redis

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    goto,
    join_seance,
    open_seance,
    start_server,
    stop_server,
    wait_ready,
)
from tests.browser.measure import server_cpu_s

QUIET_S = 20.0  # the window over which the board's CPU is measured, open then closed


def start_redis(folder: str) -> tuple[subprocess.Popen, int]:
    """A redis-server without persistence on a free port, answering."""
    port = free_port()
    process = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client, deadline = redis.Redis(port=port), time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            return process, port
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def board_count(teacher, text: str) -> bool:
    return teacher.get_by_text(text).count() > 0


def run(learners: int, browser, use_redis: bool, timeout_s: float) -> dict:
    folder = tempfile.mkdtemp(prefix="ae-classe-")
    redis_process, env = None, {}
    if use_redis:
        redis_process, redis_port = start_redis(folder)
        env["AE_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    port = free_port()
    server = start_server(port, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    contexts, latencies, errors = [], [], []
    try:
        teacher = browser.new_context(viewport={"width": 1400, "height": 2000}, base_url=url).new_page()
        contexts.append(teacher.context)
        code = open_seance(teacher)
        teacher.get_by_role("button", name="Lancer l'expérience").click()
        wait_ready(teacher)
        pages = []
        for i in range(learners):
            page = browser.new_context(viewport={"width": 1200, "height": 1600}, base_url=url).new_page()
            contexts.append(page.context)
            join_seance(page, code, f"Élève {i + 1}", int(timeout_s * 1000))
            start = time.perf_counter()
            page.get_by_text("75\u202f%").first.click()
            said = f"{i + 1} réponse{'s' if i else ''}, 100\u202f% justes"
            teacher.get_by_text(said).wait_for(timeout=timeout_s * 1000)
            latencies.append(time.perf_counter() - start)
            pages.append(page)
        for page in pages:
            goto(page, "entrainer", int(timeout_s * 1000))
            page.get_by_text("Expérience de classe").wait_for(timeout=timeout_s * 1000)
        start = time.perf_counter()
        for page in pages:
            page.locator(".st-key-train_start button").click(timeout=timeout_s * 1000)
        last = f"{learners} résultat{'s' if learners > 1 else ''}"
        teacher.get_by_text(last, exact=False).first.wait_for(timeout=timeout_s * 1000)
        results_s = time.perf_counter() - start
        for page in [teacher, *pages]:
            if page.get_by_test_id("stException").count() or page.get_by_text("erreur inattendue").count():
                errors.append(page.url)
        for page in pages:  # the learners leave: what remains is the board
            page.context.close()
        time.sleep(2)
        cpu0 = server_cpu_s(server.pid)
        time.sleep(QUIET_S)
        with_board = server_cpu_s(server.pid) - cpu0
        teacher.context.close()
        time.sleep(2)
        cpu0 = server_cpu_s(server.pid)
        time.sleep(QUIET_S)
        without_board = server_cpu_s(server.pid) - cpu0
    finally:
        for context in contexts:
            try:
                context.close()
            except Exception:  # noqa: BLE001 - already closed
                pass
        stop_server(server)
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(10)
    return {"learners": learners, "latencies": latencies, "results_s": results_s, "errors": errors,
            "board_cpu": (with_board - without_board) / QUIET_S, "redis": use_redis}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--redis", action="store_true", help="séances in a redis-server started for the run")
    parser.add_argument("--timeout-s", type=float, default=600)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        r = run(args.learners, browser, args.redis, args.timeout_s)
        browser.close()
    lat = sorted(r["latencies"])
    print(f"séances in {'Redis' if r['redis'] else 'the server’s memory'}; learners: {r['learners']}")
    print(f"answer to board (s): median {lat[len(lat) // 2]:.2f}, slowest {lat[-1]:.2f} (from the learner's click)")
    print(f"all {r['learners']} results on the board {r['results_s']:.1f} s after the first « Démarrer »")
    print(f"the open board's own server CPU: {100 * r['board_cpu']:.1f} % of a core")
    print(f"pages with an error: {len(r['errors'])}")
    problems = []
    if r["errors"]:
        problems.append(f"an error on {len(r['errors'])} page(s)")
    if lat[-1] > 2.0:
        problems.append(f"an answer took {lat[-1]:.1f} s to reach the board")
    print("PASS" if not problems else "FAIL: " + "; ".join(problems))
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
