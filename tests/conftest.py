"""Shared fixtures. Tests that need LibreOffice or the corpus skip locally with a reason
when it is absent, and fail in CI (CI=true) instead of skipping."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "excel-made"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

sys.path.insert(0, str(ROOT / "tests"))


def need(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI, when a real component a test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def soffice() -> str:
    from support.libreoffice import soffice as find

    exe = find()
    need(exe is not None, "LibreOffice headless (soffice) is not installed")
    return exe  # type: ignore[return-value]


@pytest.fixture(scope="session")
def corpus() -> Path:
    need(CORPUS.is_dir(), f"test corpus not found at {CORPUS}")
    return CORPUS
