"""French typography in everything a learner reads: lessons, quizzes and the French strings of the code.

French puts a non-breaking space (U+202F or U+00A0) before « : ; ! ? % », inside « », between
groups of digits (10 000) and between a number and its unit (18,1 dB). The check reads lessons/*.md
(outside math and code), every string of lessons/*.toml, and every French-looking string constant
of app.py, pages/, ui/ and ae_core/ (page text, chart titles, metric labels, error messages),
f-strings included; docstrings are English.
"""

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0\u202f"
RULES = [
    (re.compile(r" [:;!?»%]"), "ordinary space before « : ; ! ? » % »: use a non-breaking one"),
    (re.compile(r"« "), "ordinary space after «"),
    (re.compile(rf"[^\s{NBSP}(\[«/|*_`][;!?»]"), "no space before « ; ! ? »"),
    (re.compile(rf"[^\s{NBSP}\d(\[«/|*_`]:\s"), "no space before « : »"),
    (re.compile(r"«[^\s" + NBSP + "]"), "no space after «"),
    (re.compile(r"\d %|\d%"), "percent sign without a non-breaking space"),
    (re.compile(r"\d \d{3}\b"), "ordinary space between groups of digits"),
    (re.compile(r"\d (dB|Mo|Ko|Go|octets?|minutes?|min|s|ms|bits?|nats?)\b"),
     "ordinary space between a number and its unit"),
]
# French-looking: accents, common words, or a space before « : ; ! ? » (which English never has).
FRENCH = re.compile(r"[éèêàçùûôîœÉÈÀÇ«]|\b(le|la|les|des|une|est|pour|sur|avec|dans)\b|\s[:;!?](\s|$)")
# Skipped: math, code, addresses, and English titles of references (in English quotes “…”).
MATH_CODE = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|```.*?```|`[^`\n]+`|https?://\S+|“[^”]*”", re.S)


def typography_errors(text: str) -> list[str]:
    """One line per fault: what is wrong, and the text around it."""
    text = MATH_CODE.sub("", text)
    return [f"{why}: …{text[max(0, m.start() - 25):m.end() + 10]!r}…"
            for rule, why in RULES for m in rule.finditer(text)]


def python_strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each French-looking string constant of a module; an f-string's {fields} read as 0."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    format_specs = {id(n.format_spec) for n in ast.walk(tree) if isinstance(n, ast.FormattedValue) and n.format_spec}
    skipped = docstrings | {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and id(node) not in format_specs:
            text = "".join(v.value if isinstance(v, ast.Constant) else "0" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            text = node.value
        else:
            continue
        if FRENCH.search(text) and not text.startswith("<style>"):
            found.append((node.lineno, text))
    return found


def test_the_checker_catches_each_fault_and_accepts_good_french():
    good = "Seuil\u202f: 10\u202f000 images («\u202fnormales\u202f»), 5\u202f% signalées\u202f! Vraiment\u202f?"
    assert typography_errors(good) == []
    for bad in ("Seuil : 3", "Seuil: 3", "« normales »", "10 000 images", "5 %", "5%", "Vraiment?",
                "vraiment !"):
        assert typography_errors(bad), bad
    assert typography_errors("la formule $f : x \\mapsto z$ et `x[:, 0]`") == []


@pytest.mark.parametrize("path", sorted((ROOT / "lessons").glob("*.md")), ids=lambda p: p.name)
def test_lessons(path):
    assert typography_errors(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted((ROOT / "lessons").glob("*.toml")), ids=lambda p: p.name)
def test_quizzes(path):
    with open(path, "rb") as f:
        content = tomllib.load(f)
    if path.name == "claims.toml":  # the figures lessons quote
        texts = [claim["text"] for claim in content.values()]
    else:
        questions = content["questions"]
        texts = [q["question"] for q in questions] + [q["explanation"] for q in questions]
        texts += [c for q in questions for c in q["choices"]]
    assert [e for t in texts for e in typography_errors(t)] == []


SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py")),
           *sorted((ROOT / "ae_core").glob("*.py"))]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_strings_of_the_code(path):
    errors = [f"line {line}: {e}" for line, text in python_strings(path) for e in typography_errors(text)]
    assert errors == []
