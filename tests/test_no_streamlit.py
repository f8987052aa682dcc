import pkgutil
import subprocess
import sys

import ae_core


def test_ae_core_never_imports_streamlit():
    modules = [f"ae_core.{m.name}" for m in pkgutil.iter_modules(ae_core.__path__)]
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n"
            "print(len(sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
