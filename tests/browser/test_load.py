"""A small version of the load test (python -m tests.browser.load --learners 30 is the full one)."""

import pytest

from tests.browser.load import autogroup, overtaken, run


@pytest.mark.browser
def test_three_learners_train_at_once_and_none_is_left_behind(browser):
    r = run(3, browser)
    print(f"FIGURE load 3 learners: server-side slowest {max(r['server_times']):.1f} s, "
          f"« Résultat » slowest {max(r['page_times']):.1f} s, peak RSS {r['peak_mb']:.0f} MB, "
          f"one more session {r['per_session_mb']:.1f} MB")
    assert r["finished"] == 3 and len(r["server_times"]) == 3 and not r["errors"]  # no time bound in CI


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
