"""Empty tables' frames are made on first read (``model.Deferred``): what a reader of
``table.frame`` gets is exactly the frame ``empty_frame`` makes, made once per table, and a
TableData with a deferred frame behaves as a dataclass with that frame (replace, pickle,
copy, equality of the other fields)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pandas as pd
import pytest

from pmo_xl import schema
from pmo_xl.io import reader as rd
from pmo_xl.model import Deferred, TableData

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


def test_made_once_on_first_read() -> None:
    calls: list[int] = []

    def make() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"x": [1.0]})

    t = TableData(name="t", sheet="S", frame=Deferred(make))
    assert calls == []
    first = t.frame
    assert t.frame is first and len(t) == 1 and calls == [1]


def test_dataclass_behaviour() -> None:
    spec = schema.TABLES["tblRollupTask"]
    t = TableData(name="tblRollupTask", sheet="Rollup", frame=Deferred(rd.empty_frame, spec, ["Mine"]), ref="A3:L4")
    for other in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t), dataclasses.replace(t)):
        pd.testing.assert_frame_equal(other.frame, rd.empty_frame(spec, ["Mine"]), check_exact=True)
        assert (other.name, other.ref, other.letters) == (t.name, t.ref, t.letters)
    replaced = dataclasses.replace(t, frame=pd.DataFrame({"a": [1]}))
    assert list(replaced.frame.columns) == ["a"] and len(t.frame) == 0
    with pytest.raises(TypeError):
        TableData(name="t", sheet="S")  # type: ignore[call-arg]  # frame stays required
    assert [f.name for f in dataclasses.fields(TableData)][:3] == ["name", "sheet", "frame"]


def test_loaded_empty_tables_are_deferred_and_exact() -> None:
    book = rd.load(EXAMPLE)
    deferred = [n for n, t in book.tables.items() if type(t.__dict__["_frame"]) is Deferred]
    assert set(rd._GENERATED) <= set(deferred)
    for name in deferred:
        frame = book.tables[name].frame
        pd.testing.assert_frame_equal(frame, rd.empty_frame(schema.TABLES[name]), check_exact=True)
        assert book.tables[name].frame is frame
    # two books' frames are their own: writing to one leaves the other as it was
    other = rd.load(EXAMPLE)
    book.tables["tblFindings"].frame.loc[9, "Rule"] = "X"
    assert len(other.tables["tblFindings"].frame) == 0


def test_missing_table_is_deferred() -> None:
    spec = schema.TABLES["tblEVM"]
    issue, table = rd.missing_table("tblEVM", spec)
    assert type(table.__dict__["_frame"]) is Deferred and not table.present
    pd.testing.assert_frame_equal(table.frame, rd.empty_frame(spec), check_exact=True)
