"""Every number a learner reads is of a known kind, so that no figure measured once, elsewhere, slips in.

A number to account for is a decimal (0,018), a rate (5 %), a level in decibels (3 dB), a factor
(14 fois) or an estimate (environ 46). In lessons/*.md, in the explanations and right answers of
lessons/*.toml, and in the French strings of app.py, pages/ and ui/, each one must be:
- `{run:name}`, the learner's own figure, or `{held:key}`, a claim of lessons/claims.toml held by a
  test (see tests/claims.py);
- in a sentence that names its source with a year, « (Higgins et al., 2017) »;
- mathematics rather than a measurement: written in math ($0{,}5$), or in a calculation or a
  setting next to « = », « ≈ », « × » or « / » (λ = 0,25 ; 3,0 / 784 ≈ 0,0038);
- a setting in an instruction, a sentence that starts with its verb (« Mettez le niveau à 0,5 »).
Integers without a unit (sizes, counts, dates, a layer's width), a question's premise and the
wrong choices of a quiz need nothing.
"""

import ast
import re
import tomllib

import pytest

from tests.claims import claims, ranges
from tests.pages import ROOT
from ui.lesson import fill

NUMBER = re.compile(r"(?<![\w,])(environ |vers |près de )?\d+(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?"
                    r"(?:[\u202f\u00a0 ]?(%|dB\b)| (fois)\b)?")
SOURCE = re.compile(r"[(,]\s?(?:19|20)\d\d[a-z]?(?=[\s\u202f]?[);,])")
MATH_CODE = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|```.*?```|`[^`\n]+`|https?://\S+", re.S)
# A calculation or a setting: numbers after an operator (a list of them, too), or a number before one.
OPERATION = re.compile(r"(?:\d[\d\s\u202f\u00a0,]*)?[=≈×/][\s\u202f\u00a0]*(?:[\d\s\u202f\u00a0,;%]|dB)*")
INSTRUCTION = re.compile(r"^\W*(?:\*\*[^*]+\*\*\s*)?(Mettez|Passez|Réglez|Choisissez|Gardez|Montez|Baissez|"
                         r"Lancez|Faites|Entraînez|Cliquez|Essayez|Prenez|Comparez|Tirez)\b")
PLACEHOLDER = re.compile(r"\{(held|run):(\w+)\}")
SENTENCE_END = re.compile(r"(?<=[.!?])(?<! al\.)(?<!\bex\.)\s+(?=[A-ZÀ-ÖØ-Þ«*(\d])")


def sentences(text: str) -> list[str]:
    """Paragraphs, list items and table rows, cut into sentences; math and code left in."""
    blocks = re.split(r"\n\s*\n|\n(?=\s*(?:[-*|] |\d+\. |#))", text)
    return [s for block in blocks for s in SENTENCE_END.split(block.strip())]


def is_counted(m: re.Match) -> bool:
    return "," in m[0] or bool(m[1] or m[2] or m[3])


def digits_of(m: re.Match) -> str:
    """The number itself: 0,009 of « environ 0,009 », 10 000 of « 10 000 % »."""
    return re.search(r"\d[\d\u202f\u00a0 ,]*\d|\d", m[0][len(m[1] or ""):])[0]


def unaccounted(text: str) -> list[str]:
    """The numbers of `text` none of the module's rules accounts for, each with its sentence."""
    found = []
    for sentence in sentences(text):
        if SOURCE.search(sentence) or INSTRUCTION.match(sentence):
            continue
        bare = MATH_CODE.sub(" ", PLACEHOLDER.sub(" ", sentence))
        exempt = [range(*m.span()) for m in OPERATION.finditer(bare)]
        found += [f"{m[0]!r} in: {sentence.strip()[:160]}" for m in NUMBER.finditer(bare)
                  if is_counted(m) and not any(m.start() in r for r in exempt)]
    return found


def quiz_texts(path):
    """Of each question, the explanation, and the right answer unless the explanation repeats its numbers."""
    with open(path, "rb") as f:
        for q in tomllib.load(f)["questions"]:
            yield q["explanation"]
            right = q["choices"][q["answer"]]
            if not all(digits_of(m) in q["explanation"] for m in NUMBER.finditer(right) if is_counted(m)):
                yield right


def code_strings(path):
    """The French string constants of a module (f-strings' literal parts included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and re.search(r"[éèêàçù«]|\b(le|la|les|des|une|est|sur)\b", node.value):
            yield node.value


LESSON_FILES = sorted((ROOT / "lessons").glob("*.md"))
QUIZ_FILES = sorted((ROOT / "lessons").glob("*.toml"))
QUIZ_FILES.remove(ROOT / "lessons" / "claims.toml")
CODE_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]


@pytest.mark.parametrize("path", LESSON_FILES + QUIZ_FILES + CODE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_number_is_the_learners_held_sourced_or_mathematics(path):
    texts = ([path.read_text(encoding="utf-8")] if path.suffix == ".md" else
             quiz_texts(path) if path.suffix == ".toml" else code_strings(path))
    found = [n for text in texts for n in unaccounted(text)]
    assert not found, "\n".join(found)


def test_the_rules_catch_a_stray_figure_and_pass_the_accounted_ones():
    assert unaccounted("Sur « Chiffres », l'erreur vaut environ 0,009.")
    assert unaccounted("Les fausses alertes tombent à 5 %.")
    assert unaccounted("Le code est 14 fois plus petit.")
    assert unaccounted("La distance passe d'environ 10 à 46.")
    assert not unaccounted("L'erreur vaut {held:x}. Elle vaut {run:mse} chez vous.")
    assert not unaccounted("Hinton et Salakhutdinov (2006) mesurent 3,0 par image.")
    assert not unaccounted("Par défaut, λ = 0,25 ; 3,0 / 784 ≈ 0,0038. Au hasard, l'AUC vaut $0{,}5$.")
    assert not unaccounted("Mettez le niveau de bruit à 0,5 et entraînez. Un code de 12 nombres, 784 pixels.")
    assert fill("Toujours.\nVous : {run:mse}.") == "Toujours." and fill("{run:mse}", {"mse": "0,01"}) == "0,01"
    assert unaccounted("Mettez le niveau à 0,5. L'erreur baisse de 10 %.")  # the second sentence is a claim


def lesson_sources():
    yield from ((p, p.read_text(encoding="utf-8")) for p in LESSON_FILES)
    for p in QUIZ_FILES:
        with open(p, "rb") as f:
            for q in tomllib.load(f)["questions"]:
                yield p, "\n\n".join([q["question"], q["explanation"], *q["choices"]])
    yield from ((p, s) for p in CODE_FILES for s in code_strings(p))


def test_every_claim_is_quoted_named_on_its_dataset_and_held_by_its_test():
    table, used = claims(), set()
    for path, text in lesson_sources():
        for sentence in sentences(text):
            for kind, key in PLACEHOLDER.findall(sentence):
                if kind != "held":
                    continue
                assert key in table, f"{path.name}: {{held:{key}}} is not in lessons/claims.toml"
                used.add(key)
                on = table[key].get("on")
                assert on is None or on in sentence, f"{path.name}: {key} holds on {on} only; say so: {sentence}"
    assert used == set(table), f"claims no lesson quotes: {sorted(set(table) - used)}"
    for key, claim in table.items():
        assert set(claim) - set(ranges(claim)) <= {"text", "test", "on"} and ranges(claim), key
        assert claim.get("on") in (None, "«\u202fChiffres\u202f»", "MNIST", "battements simulés"), key
        for m in filter(is_counted, NUMBER.finditer(MATH_CODE.sub(" ", claim["text"]))):
            value = float(re.sub(r"[\u202f\u00a0 ]", "", digits_of(m)).replace(",", "."))
            assert any(low <= value <= high for low, high in ranges(claim).values()), \
                f"{key}: the text says {m[0]}, outside every range of the claim"
        file, test = claim["test"].split("::")
        source = (ROOT / file).read_text(encoding="utf-8")
        assert re.search(rf"^def {test}\(", source, re.M), f"{key}: no test {claim['test']}"
        assert f'"{key}"' in source, f"{key}: {file} never checks it (check_claim(\"{key}\", …))"
