"""The load test, small: `python -m bench.load --learners 3` as a learner's class would run it (30 is
the full one), and the helpers it measures with."""

import re
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, _require_browser
from tests.browser.measure import autogroup, overtaken


@pytest.mark.browser
def test_three_learners_train_at_once_and_none_is_left_behind():
    _require_browser()
    run = subprocess.run([sys.executable, "-m", "bench.load", "--learners", "3", "--no-time-bar"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    print(run.stdout)  # the figures, for the CI log
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"pages showing \W*Résultat\W*: 3, with an error: 0", run.stdout), run.stdout
    assert run.stdout.rstrip().endswith("PASS")


def test_the_scheduling_group_is_read_where_the_kernel_has_one(tmp_path):
    (tmp_path / "7").mkdir()
    assert autogroup(7, tmp_path) is None  # no file
    (tmp_path / "7" / "autogroup").write_text("")  # a kernel without autogroup: an empty file
    assert autogroup(7, tmp_path) is None
    (tmp_path / "7" / "autogroup").write_text("/autogroup-42 nice 0\n")
    assert autogroup(7, tmp_path) == "/autogroup-42"


def test_a_learner_overtaken_by_more_than_a_round_is_counted():
    jobs = [(0.0, 10.0), (1.0, 9.5), (3.0, 6.0)]  # the third started 2-3 s later, ended 3.5-4 s sooner
    assert overtaken(jobs, margin_s=1.0) == 2  # both earlier starters
    assert overtaken(jobs, margin_s=5.0) == 0
