"""A small version of the load test (python -m tests.browser.load --learners 30 is the full one)."""

import pytest

from tests.browser.load import run


@pytest.mark.browser
def test_three_learners_train_at_once_and_none_is_left_behind(browser):
    r = run(3, browser)
    print(f"FIGURE load 3 learners: server-side slowest {max(r['server_times']):.1f} s, "
          f"« Résultat » slowest {max(r['page_times']):.1f} s, peak RSS {r['peak_mb']:.0f} MB, "
          f"one more session {r['per_session_mb']:.1f} MB")
    assert r["finished"] == 3 and len(r["server_times"]) == 3 and not r["errors"]  # no time bound in CI
