"""A small version of the load test (python -m tests.browser.load --learners 10 is the full one)."""

import pytest

from tests.browser.load import run


@pytest.mark.browser
def test_three_learners_train_at_once(browser):
    r = run(3, browser)
    print(f"FIGURE load 3 learners: slowest {max(r['times']):.1f} s, peak RSS {r['peak_mb']:.0f} MB, "
          f"one more session {r['per_session_mb']:.1f} MB")
    assert r["finished"] == 3 and not r["errors"]
