"""Holding a lesson's recipe figures: a test measures, then check_claim compares with lessons/claims.toml.

A claim is a table of lessons/claims.toml: `text` (what the lesson shows where it writes
`{held:key}`), `test` (the test that holds it), `on` (the dataset it is true on, when only one), and
one range [low, high] per measured quantity, in the unit the text uses (a rate in %, an error per
pixel). tests/test_claims.py checks that every number of `text` lies in one of its ranges.
"""

import tomllib

from tests.pages import ROOT


def claims() -> dict[str, dict]:
    with open(ROOT / "lessons" / "claims.toml", "rb") as f:
        return tomllib.load(f)


def ranges(claim: dict) -> dict[str, list[float]]:
    return {name: v for name, v in claim.items() if isinstance(v, list)}


def check_claim(key: str, **measured: float) -> None:
    """Each measured quantity of claim `key` lies in its range; every range of the claim is measured."""
    bounds = ranges(claims()[key])
    assert set(measured) == set(bounds), f"{key}: measured {sorted(measured)}, the claim has {sorted(bounds)}"
    print(f"FIGURE claim {key}: " + ", ".join(f"{name} {value:.4g}" for name, value in measured.items()))
    for name, value in measured.items():
        low, high = bounds[name]
        assert low <= value <= high, f"{key}.{name}: measured {value:.4g}, lessons/claims.toml says [{low}, {high}]"
