"""ae_core (what a notebook imports) and runner (the training service) never import Streamlit."""

import subprocess
import sys

from tests.pages import ROOT


def test_ae_core_and_runner_never_import_streamlit():
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for package in ("ae_core", "runner") for p in (ROOT / package).glob("*.py")]
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
