"""The app's frame: the router guard's reliance on Streamlit, pages/ holding pages only, app.py routing them."""

import ast
import inspect
from pathlib import Path

import pytest
import streamlit.commands.navigation as navigation
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

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


def test_every_callback_and_fragment_goes_through_the_error_policy():
    """Streamlit runs callbacks before the page and fragments without it, out of run_page's reach."""
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg in ("on_click", "on_change", "on_submit", "on_select"):
                ok = isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "callback"
                assert ok or isinstance(node.value, ast.Constant), f"{path.name}:{node.lineno} {node.arg}: callback(…)"
            if isinstance(node, ast.Attribute) and node.attr == "fragment" and path.name != "errors.py":
                assert getattr(node.value, "id", "") != "st", f"{path.name}:{node.lineno}: ui.errors.fragment"


@pytest.fixture
def error_details_shown(monkeypatch):
    """The setting Community Cloud imposes, whatever .streamlit/config.toml says; the tests' AE_DEBUG off."""
    import streamlit as st

    before = st.get_option("client.showErrorDetails")
    st.set_option("client.showErrorDetails", "full")
    monkeypatch.delenv("AE_DEBUG", raising=False)
    yield
    st.set_option("client.showErrorDetails", before)


def french_errors_only(at) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]  # what Streamlit shows with a traceback
    texts = [e.value for e in at.error]
    assert not any("Traceback" in t or "Error" in t for t in texts), texts
    return texts


def _page_with_the_forget_dialog():
    import streamlit as st

    from ui.shell import _confirm_forget

    st.title("Une page")
    _confirm_forget()


@pytest.mark.parametrize("exc,shown", [
    (__import__("ae_core").SpecError("Réglage à corriger."), "Réglage à corriger."),
    (ZeroDivisionError("bug"), "erreur inattendue"),
])
def test_a_failing_callback_shows_a_french_sentence_and_no_traceback(error_details_shown, monkeypatch, caplog,
                                                                       exc, shown):
    import ui.saved

    def fail():
        raise exc

    at = AppTest.from_function(_page_with_the_forget_dialog)
    at.run()
    monkeypatch.setattr(ui.saved, "forget", fail)
    at.button(key="forget_yes").click().run()
    assert any(shown in t for t in french_errors_only(at))
    assert at.title[0].value  # the page itself still drew
    assert ("ZeroDivisionError" in caplog.text) == isinstance(exc, ZeroDivisionError)
    at.button(key="forget_no").click().run()
    assert not any(shown in t for t in french_errors_only(at))  # said once


def test_a_failing_fragment_shows_a_french_sentence_in_place(error_details_shown, monkeypatch):
    import ui.live
    from tests.app_driver import app

    def fail(key, job):
        raise RuntimeError("bug")

    at = app("pages/entrainer.py")
    monkeypatch.setattr(ui.live, "progress_ui", fail)
    at.button(key="train_step").click().run()  # one batch, paused: its panel draws, then fails
    assert any("erreur inattendue" in t for t in french_errors_only(at))
    assert any(b.key == "train_reset" for b in at.button)  # the rest of the page is there
