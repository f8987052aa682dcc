"""The app's frame: the router guard's reliance on Streamlit, pages/ holding pages only, app.py routing them."""

import ast
import inspect
from pathlib import Path

import pytest
import streamlit.commands.navigation as navigation
from streamlit.runtime.pages_manager import PagesManager

from tests.pages import routed_pages

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_still_has_the_switch_the_router_guard_flips():
    """ui.shell.route_through_app flips PagesManager.uses_pages_directory, a private attribute.

    If a Streamlit upgrade renames it or stops st.navigation from clearing it, the first visitor who
    opens a page by its address gets it without router and sidebar: fix route_through_app then.
    """
    assert "uses_pages_directory" in vars(PagesManager), "PagesManager.uses_pages_directory is gone"
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation)
    init = inspect.getsource(PagesManager.__init__)
    assert "uses_pages_directory" in init and '"pages"' in init


def test_pages_holds_only_the_pages_app_py_routes_to():
    routed = {page.file for page in routed_pages()}
    files = {f"pages/{p.name}" for p in (ROOT / "pages").iterdir() if p.name != "__pycache__"}
    assert routed == files


def test_every_page_goes_through_the_router_guard_first():
    for path in (ROOT / "pages").glob("*.py"):
        calls = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.Expr)
                 and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", "") != ""]
        assert calls and calls[0].value.func.id == "route_through_app", path.name


class BrokenPage:
    url_path = "cassee"

    def __init__(self, exc):
        self.exc = exc

    def run(self):
        raise self.exc


def test_a_page_bug_is_logged_and_never_reaches_the_learner(monkeypatch, caplog):
    from ae_core import SpecError
    from ui.shell import run_page

    monkeypatch.delenv("AE_DEBUG", raising=False)
    run_page(BrokenPage(ZeroDivisionError("bug")))  # no exception escapes: a French sentence instead
    assert "page cassee failed" in caplog.text and "ZeroDivisionError" in caplog.text
    caplog.clear()
    run_page(BrokenPage(SpecError("Réglage à corriger.")))  # the learner's own message, not a bug
    assert "failed" not in caplog.text
    monkeypatch.setenv("AE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run_page(BrokenPage(ZeroDivisionError("bug")))
