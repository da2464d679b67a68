"""Build script. The package itself is described in pyproject.toml; this file adds only the
optional native build (docs/native.md): with ``PMO_XL_MYPYC=1`` in the environment, the
modules listed in ``pmo_xl/_native.py`` are compiled with mypyc. Without it, pmo-xl builds
as pure Python.
"""

import os
import runpy
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
#: The mypy that compiles the native build; its mypyc runtime is built into the extensions.
MYPY = "mypy==2.4.1"

if os.environ.get("PMO_XL_MYPYC", "0") not in ("", "0"):
    modules = runpy.run_path(str(HERE / "pmo_xl" / "_native.py"))["COMPILED"]
    try:
        from mypyc.build import mypycify
    except ImportError:
        # An isolated build (pip install ., python -m build) asks here for its build
        # requirements: setuptools passes setup_requires on to the frontend.
        setup(setup_requires=[MYPY])
    else:
        os.chdir(HERE)  # mypycify takes paths relative to the project
        # One shared library for all of them, inside the package (not a top-level module
        # named by a hash, which an in-place build would put in udfs/, the py-modules root).
        setup(ext_modules=mypycify([name.replace(".", "/") + ".py" for name in modules], opt_level="3",
                                   group_name="pmo_xl._compiled"))
else:
    setup()
