"""thresholds_for answers from the defined names the reader recorded: no second opening of
the file when the workbook stores no ``cfg…`` name, the stored block read as before when it does."""

from __future__ import annotations

from pathlib import Path

import pytest

import pmo_xl
from pmo_xl import config
from pmo_xl.config import OrgConfig, parse_config, read_stored, thresholds_for
from pmo_xl.io.template import build_workbook
from pmo_xl.model import Book


def test_plain_workbook_is_not_reopened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_workbook(tmp_path / "plain.xlsx")
    book = pmo_xl.load(path)
    assert book.defined_names is not None and "ProjectCode" in book.defined_names

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("read_stored called for a workbook without cfg names")

    monkeypatch.setattr(config, "read_stored", refuse)
    t = thresholds_for(book)
    assert t == thresholds_for(Book(path="", settings={}))
    assert book.config == OrgConfig()


def test_configured_workbook_still_read(tmp_path: Path) -> None:
    cfg = parse_config({"thresholds": {"rag_green": 1.5, "rag_amber": 0.8}})
    path = build_workbook(tmp_path / "c.xlsx", config=cfg)
    book = pmo_xl.load(path)
    assert any(n.startswith("cfg") for n in book.defined_names or {})
    t = thresholds_for(book)
    stored = read_stored(path)
    assert stored is not None and t.rag == stored.rag_thresholds() and t.dcma == stored.dcma_thresholds()
    assert t.rag.green == 1.5 and t.source == str(path)


def test_book_without_recorded_names_falls_back_to_the_file(tmp_path: Path) -> None:
    cfg = parse_config({"thresholds": {"rag_green": 1.4, "rag_amber": 0.7}})
    path = build_workbook(tmp_path / "c.xlsx", config=cfg)
    book = pmo_xl.load(path)
    book.defined_names = None  # a Book built elsewhere: the file is read as before
    assert thresholds_for(book).rag.green == 1.4
