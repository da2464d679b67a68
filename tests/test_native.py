"""The native build (docs/native.md): the modules it compiles, and that each run of the
suite runs the build it means to.

``make test-native`` runs the whole suite in build/native with PMO_XL_EXPECT_NATIVE=1:
there, every module of ``_native.COMPILED`` must be imported compiled, in this process and
in the ``pmo-xl`` subprocesses the other tests start, or the run would test pure Python
under the native build's name. Everywhere else none may be: a compiled module left beside
its source (an in-place build) shadows the source, and edits to it would go untested.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_xl import _native

ROOT = Path(__file__).resolve().parents[1]
EXPECT_NATIVE = os.environ.get("PMO_XL_EXPECT_NATIVE") == "1"


def test_compiled_modules_exist_as_sources():
    assert _native.COMPILED, "the native build compiles at least one module"
    assert len(set(_native.COMPILED)) == len(_native.COMPILED)
    for name in _native.COMPILED:
        assert name.startswith("pmo_xl.")
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file(), name


@pytest.mark.parametrize("name", _native.COMPILED)
def test_each_module_runs_the_expected_build(name):
    module = importlib.import_module(name)
    compiled = not module.__file__.endswith(".py")
    if EXPECT_NATIVE:
        assert compiled, f"{name} is imported from its source {module.__file__}, not compiled"
    else:
        assert not compiled, (
            f"{module.__file__} shadows {name}'s source: remove it (an in-place native build; "
            "`make native` builds in build/native instead)"
        )


def test_the_command_reports_its_build():
    out = subprocess.run([sys.executable, "-m", "pmo_xl", "--version"], capture_output=True, text=True,
                         check=True).stdout
    if EXPECT_NATIVE:
        n = len(_native.COMPILED)
        assert f"(native: {n} of {n} modules compiled with mypyc)" in out
    else:
        assert "(pure Python)" in out
