"""Measuring a running server from outside: its processes' memory and CPU time from /proc, their
scheduling groups, and the jobs its log lines report. Used by bench.load and bench.session_memory."""

import os
import re
from datetime import datetime
from pathlib import Path

DONE = re.compile(r"^(\S+ \S+) INFO runner.jobs: job of (\S+) done ([0-9.]+) s after its start", re.MULTILINE)
TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (its exited children included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICKS


def family(pid: int) -> set[int]:
    """A process and its descendants now running (the server and its training process)."""
    parents = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit():
                parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    members, grown = {pid}, True
    while grown:
        grown = False
        for child, parent in parents.items():
            if parent in members and child not in members:
                members.add(child)
                grown = True
    return members


def server_cpu_s(pid: int) -> float:
    """CPU seconds of the server and of its children now running (the training process)."""
    total = 0.0
    for member in family(pid):
        try:
            total += cpu_s(member)
        except OSError:
            continue
    return total


def children_rss_mb(pid: int) -> float:
    total = 0.0
    for member in family(pid) - {pid}:
        try:
            total += rss_mb(member)
        except (OSError, RuntimeError):
            continue
    return total


def chromium_cpu_s() -> float:
    """CPU seconds of the Chromium processes this process started, now running (the load test's browsers)."""
    total = 0.0
    for pid in family(os.getpid()):
        try:
            if "chrom" in (Path("/proc") / str(pid) / "comm").read_text():
                total += cpu_s(pid)
        except OSError:
            continue
    return total


def renice_load(server_pid: int, group_nice: int = 19) -> None:
    """Lowest CPU priority for this process's Playwright driver and Chromium (its descendants, the
    server's aside; other browsers on the machine keep theirs): in a classroom each learner's browser
    runs on their own machine, not on the server's cores. (Renderers started later inherit it;
    main() also lowers this script's own priority once the server runs.)

    Where Linux groups processes by session for scheduling (autogroup), a process's nice value only
    counts inside its group, and Chromium runs in a session of its own: the browsers' group then got
    half the CPU whatever their nice value, and the server the other half. So that group is niced too
    (never the server's own group, which Playwright's driver shares).
    """
    server_group = autogroup(server_pid)
    for pid in family(os.getpid()) - family(server_pid):
        proc = Path("/proc") / str(pid)
        try:
            if (proc / "comm").read_text().strip().startswith(("chrom", "node")):
                os.setpriority(os.PRIO_PROCESS, pid, 19)
                if autogroup(pid) not in (None, server_group):
                    (proc / "autogroup").write_text(str(group_nice))
        except OSError:
            continue


def autogroup(pid: int, proc: Path = Path("/proc")) -> str | None:
    """The scheduling group of a process ("/autogroup-N"), None where the kernel has none (no file,
    or an empty one, as on kernels built or booted without autogroup)."""
    try:
        words = (proc / str(pid) / "autogroup").read_text().split()
    except OSError:
        return None
    return words[0] if words else None


def server_jobs(log: Path) -> list[tuple[float, float]]:
    """(start, end) of each learner's job in seconds, from the server's log lines at each job's end."""
    jobs = []
    for m in DONE.finditer(log.read_text(errors="replace")):
        if m.group(2) != "shared":
            end = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            jobs.append((end - float(m.group(3)), end))
    return jobs


def overtaken(jobs: list[tuple[float, float]], margin_s: float) -> int:
    """Learners who saw someone who started after them finish before them by more than margin_s (one
    round of turns): with fair turns, equal trainings end in the order they started, give or take a turn."""
    return sum(any(s2 > s1 + margin_s and e2 < e1 - margin_s for s2, e2 in jobs) for s1, e1 in jobs)
