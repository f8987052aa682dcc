"""The layers hold: imports run downward only, with no cycle and no import tucked inside a function;
no test imports bench/; a ui/sections module serves one page (no Streamlit below ui/: test_no_streamlit)."""

import ast
from pathlib import Path

import pytest

import ae_core
from tests.pages import ROOT, routed_pages

# What notebook users write after `from ae_core import`: these names stay.
PUBLIC = ["DATASETS", "Autoencoder", "CheckpointError", "ConvAutoencoder", "Corruption", "Dataset",
          "DatasetUnavailable", "History", "LearnerError", "MLPAutoencoder", "ModelConfig", "PCABaseline", "Rows",
          "RunSpec", "SpecError", "TrainConfig", "Trainer", "TrainingDiverged", "build_model", "build_trainer",
          "compression_ratio", "corrupt", "count_parameters", "default_spec", "default_train", "encode",
          "linear_probe", "load_checkpoint", "load_dataset", "make_manifold", "manifold_dataset", "pca_error_curve",
          "per_sample_mse", "psnr", "reconstruct", "reconstruction_errors", "reconstruction_loss", "resolve_device",
          "save_checkpoint", "to_float", "train_val_split", "trustworthiness"]
PACKAGES = ("ae_core", "runner", "ui", "bench", "tests")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for each import of a first-party module in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    top = {id(n) for n in tree.body} | {id(n) for s in tree.body if isinstance(s, ast.If) for n in s.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 packages
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] if node.module is None or base in ("ui", "ae_core") \
                else [base]
            found += [(n, id(node) in top) for n in names]
        elif isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
    return [(m, top_level) for m, top_level in found if m.split(".")[0] in PACKAGES]


def graph(package: str) -> dict[str, set[str]]:
    """Module -> the first-party modules it imports at module level, over every module of `package`."""
    modules = {module_name(p): p for p in (ROOT / package).rglob("*.py")}
    return {m: {i for i, _ in imports(p) if i in modules and i != m} for m, p in modules.items()}


def test_ae_core_keeps_the_names_notebook_users_import():
    assert set(PUBLIC) <= set(ae_core.__all__)
    assert all(hasattr(ae_core, name) for name in ae_core.__all__)


def test_ae_core_has_no_import_cycle_and_no_import_inside_a_function():
    for path in (ROOT / "ae_core").glob("*.py"):
        inside = [m for m, top_level in imports(path) if not top_level]
        assert not inside, f"{path.name} imports {inside} inside a function"
    edges, state = graph("ae_core"), {}

    def visit(module, trail):
        if state.get(module) == "done":
            return
        assert module not in trail, "import cycle: " + " -> ".join([*trail[trail.index(module):], module])
        for other in edges[module]:
            visit(other, [*trail, module])
        state[module] = "done"

    for module in edges:
        visit(module, [])


@pytest.mark.parametrize("package,allowed", [
    ("ae_core", {"ae_core"}), ("runner", {"ae_core", "runner"}), ("ui", {"ae_core", "runner", "ui"}),
    ("pages", {"ae_core", "runner", "ui"}), ("tests", {"ae_core", "runner", "ui", "tests"}),
    ("bench", {"ae_core", "runner", "tests", "bench"})])
def test_each_layer_imports_only_the_layers_below_it(package, allowed):
    for path in (ROOT / package).rglob("*.py"):
        for module, _ in imports(path):
            assert module.split(".")[0] in allowed, f"{path.relative_to(ROOT)} imports {module}"



def test_a_section_serves_its_own_page_and_a_shared_module_more_than_one():
    users: dict[str, set[str]] = {}
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        for module, _ in imports(path):
            users.setdefault(module, set()).add(module_name(path))
    pages = {f"pages.{p.name}" for p in routed_pages()}
    for path in (ROOT / "ui" / "sections").glob("*.py"):
        if path.name != "__init__.py":
            assert users.get(module_name(path)) == {f"pages.{path.stem}"}, path.name
    for path in (ROOT / "ui").glob("*.py"):
        if path.name != "__init__.py":
            used_by = users.get(module_name(path), set())
            assert len(used_by & pages) >= 2 or used_by - pages, f"ui/{path.name} serves one page: ui/sections/"
