"""Two replicas of the app behind nginx, as deploy/compose.yaml runs them, without containers: two app
servers on two loopback ports share one real redis-server (AE_REDIS_URL), behind Debian's nginx running
deploy/nginx.conf itself, where only the two replicas' addresses (without `resolve`, which Debian's nginx
1.22 predates) and the listen port are replaced.

Teacher and learner both go through nginx, each browser context with its own route cookie, and the test
makes sure they land on different replicas: nginx hashes the `ae_route` cookie, so the test asks nginx
which replica answers a few candidate values (its X-Replica header) and gives the teacher's context one
that reaches replica 2, the learner's one that reaches replica 1. A learner's answer then travels
through Redis to the teacher's board on the other replica, as in a school with several classes.
"""

import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from tests.browser.conftest import (
    ROOT,
    free_port,
    join_seance,
    open_seance,
    shot,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.browser

NGINX = Path("/usr/sbin/nginx")
CONF = ROOT / "deploy" / "nginx.conf"
ROUTE = re.compile(r"ae_route=([0-9a-f]{32}); Path=/; HttpOnly; SameSite=Lax")


def local_conf(app_ports: list[int], port: int) -> str:
    """deploy/nginx.conf with the compose services' addresses replaced by loopback ports and `listen 80` by
    `port`; nothing else changes. Debian's nginx predates `resolve`, which an IP address does not need."""
    text = CONF.read_text()
    servers = re.findall(r"^[ \t]*server app\d:8501 resolve\b[^;]*;", text, re.M)
    assert len(servers) == len(app_ports) == 2, servers
    for line, app_port in zip(servers, app_ports):  # the line's other parameters stay
        text = text.replace(line, re.sub(r"app\d:8501 resolve", f"127.0.0.1:{app_port}", line))
    assert text.count("listen 80;") == 1
    return text.replace("listen 80;", f"listen 127.0.0.1:{port};")


def main_conf(folder: Path) -> str:
    """What the nginx image's own nginx.conf gives the site (logs, temporary folders), all in `folder`."""
    temps = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in
                      ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temps}\n    include {folder / 'site.conf'};\n}}\n")


def ask(url: str, route: str | None = None, timeout: float = 5) -> tuple[str, str | None]:
    """GET url through nginx: (the replica that answered, from X-Replica; the ae_route value nginx set)."""
    request = urllib.request.Request(url, headers={"Cookie": f"ae_route={route}"} if route else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        routes = [m.group(1) for c in response.headers.get_all("Set-Cookie") or [] if (m := ROUTE.fullmatch(c))]
        return response.headers.get("X-Replica", ""), routes[0] if len(routes) == 1 else None


@pytest.fixture(scope="module")
def replicas(redis_port):
    """nginx's address, the two replicas' (as X-Replica names them) and the Redis port they share."""
    from tests.conftest import skip_or_fail

    if not NGINX.exists():
        skip_or_fail("Debian's nginx is not installed (apt-get install nginx)")
    # Not pytest's tmp_path: as root, nginx's workers run as nobody and must reach its temporary folders.
    folder = Path(tempfile.mkdtemp(prefix="ae-nginx-"))
    folder.chmod(0o755)
    env = {"AE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    apps, nginx = [], None
    try:
        for i in (1, 2):
            port, log = free_port(), folder / f"app{i}.log"
            with log.open("w") as stderr:  # the server keeps its own copy of the file
                try:
                    apps.append((port, start_server(port, env=env, stderr=stderr)))
                except RuntimeError as exc:
                    pytest.fail(f"replica {i}: {exc}\n{log.read_text()[-2000:]}")
        port = free_port()
        (folder / "site.conf").write_text(local_conf([p for p, _ in apps], port))
        (folder / "nginx.conf").write_text(main_conf(folder))
        with (folder / "nginx.out").open("w") as out:  # errors met before error_log is read land here
            nginx = subprocess.Popen([str(NGINX), "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 15
        while True:
            try:
                ask(f"{base}/_stcore/health", timeout=1)
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    logs = [f.read_text() for f in (folder / "nginx.out", folder / "error.log") if f.exists()]
                    pytest.fail(f"nginx did not answer: {''.join(logs)[-2000:]}")
                time.sleep(0.1)
        yield {"url": base, "replicas": [f"127.0.0.1:{p}" for p, _ in apps], "redis_port": redis_port}
    finally:
        if nginx is not None:
            nginx.terminate()  # SIGTERM: nginx's fast shutdown, the browsers' WebSockets are closed
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
        with ThreadPoolExecutor() as pool:  # both replicas shut down at once
            list(pool.map(stop_server, [proc for _, proc in apps]))
        shutil.rmtree(folder, ignore_errors=True)


def route_to(replicas, replica: str) -> str:
    """A route cookie value that nginx sends to `replica` (nginx's hash decides; the test only asks)."""
    for i in range(1, 200):
        value = f"{i:032x}"
        if ask(f"{replicas['url']}/_stcore/health", value)[0] == replica:
            return value
    pytest.fail(f"no route cookie among 200 reaches {replica}")


def test_nginx_gives_each_browser_a_route_cookie_that_keeps_it_on_one_replica(replicas):
    health = f"{replicas['url']}/_stcore/health"
    first, route = ask(health)
    assert route is not None, "nginx set no well-formed ae_route cookie"
    assert first in replicas["replicas"]
    # The same cookie, the same replica, every time; nginx sends the same cookie back.
    assert {ask(health, route) for _ in range(10)} == {(first, route)}
    # A malformed cookie is replaced by a fresh one, never echoed into a Set-Cookie header.
    assert ask(health, "x" * 40)[1] not in (None, "x" * 40)
    # The hash spreads browsers over both replicas (only the routes differ between these requests).
    assert {ask(health, f"{i:032x}")[0] for i in range(1, 41)} == set(replicas["replicas"])
    # An upload as big as the app accepts (5 MB, .streamlit/config.toml) reaches the replicas: nginx's own
    # 1 MB default would answer 413 itself, without a replica. This one carries no session or XSRF token,
    # so each replica answers 403 and closes before reading it, and nginx sees an error (then 502).
    # Five of them, as the connection's closing races nginx's sending.
    for _ in range(5):
        request = urllib.request.Request(f"{replicas['url']}/_stcore/upload_file/s/f", data=b"\0" * 5 * 2**20,
                                         method="PUT")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, tried = response.status, response.headers.get("X-Replica", "")
        except urllib.error.HTTPError as exc:
            status, tried = exc.code, exc.headers.get("X-Replica", "")
        assert status != 413 and tried and set(tried.split(", ")) <= set(replicas["replicas"]), (status, tried)
    # Such a request never takes a replica out of service (max_fails=0): both still answer at once.
    assert {ask(health, f"{i:032x}")[0] for i in range(1, 41)} == set(replicas["replicas"])


def test_an_answer_through_one_replica_reaches_the_board_on_the_other(browser, replicas):
    base, (one, two) = replicas["url"], replicas["replicas"]
    contexts = []
    try:
        pages = {}
        for who, replica in (("teacher", two), ("learner", one)):
            context = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="fr-FR", base_url=base)
            contexts.append(context)
            context.add_cookies([{"name": "ae_route", "value": route_to(replicas, replica), "url": base}])
            pages[who] = context.new_page()
        teacher, learner = pages["teacher"], pages["learner"]

        def replica_of(page) -> str:  # through nginx, with the browser context's own cookies
            return page.context.request.get(f"{base}/_stcore/health").headers.get("x-replica", "")

        assert (replica_of(teacher), replica_of(learner)) == (two, one)

        code = open_seance(teacher)
        assert len(code) == 6

        join_seance(learner, code, "Léa")  # the séance was opened on the other replica
        assert teacher.get_by_text("1 réponse").count() == 0
        start = time.monotonic()
        learner.get_by_text("75\u202f%").first.click()  # the quiz's calculation: 18 / 24
        teacher.get_by_text("1 réponse, 100\u202f% justes").wait_for(timeout=15_000)  # no click: the board refreshes
        print(f"FIGURE replicas: the answer on replica 1 reached the board on replica 2 "
              f"{time.monotonic() - start:.1f} s after the click")
        assert teacher.get_by_text("1 participant").count() == 1

        # Nothing moved: each context still holds its route and still reaches its replica; the séance
        # is in the shared Redis.
        assert (replica_of(teacher), replica_of(learner)) == (two, one)
        assert redis.Redis(port=replicas["redis_port"]).dbsize() > 0
        assert teacher.get_by_test_id("stException").count() == 0 and learner.get_by_test_id("stException").count() == 0
        shot(teacher, "replicas_tableau")
    finally:
        for context in contexts:
            context.close()
