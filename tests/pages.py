"""The app's pages, read from its router (app.py): every test that loops over pages takes this list."""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RoutedPage:
    file: str  # "pages/entrainer.py"
    url_path: str  # "entrainer"
    title: str  # its title in the menu
    default: bool  # the page served at the site's root

    @property
    def name(self) -> str:
        """The page's name in lessons/ (lessons/<name>.md, <name>.toml) and in page-prefixed keys."""
        return Path(self.file).stem

    @property
    def address(self) -> str:
        """Its path in a browser: "" for the default page."""
        return "" if self.default else self.url_path

    @property
    def heading(self) -> str:
        """The title the page shows: the app's own name on the default page, else its menu title."""
        return app_title() if self.default else self.title


def _calls(name: str) -> list[ast.Call]:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == name]


def app_title() -> str:
    """The page_title app.py gives st.set_page_config."""
    (call,) = _calls("set_page_config")
    return next(k.value.value for k in call.keywords if k.arg == "page_title")


def routed_pages() -> list[RoutedPage]:
    """Every st.Page of app.py, in menu order."""
    pages = []
    for call in _calls("Page"):
        kw = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
        pages.append(RoutedPage(call.args[0].value, kw["url_path"], kw["title"], kw.get("default", False)))
    return pages
