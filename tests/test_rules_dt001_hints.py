"""DT001's hint fits the type its column expects (it said "Type a real date" for a
number, a percentage, a whole number as well)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

import pmo_xl

EXAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "Example_Project.xlsx"


def test_each_wrong_type_gets_the_hint_of_its_column(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["Plan"]
    ws["A40"], ws["C40"] = 9001, "Hint check"
    ws["F40"] = "ten days"  # Duration: a number
    ws["G40"] = "next week"  # Start: a date
    ws["N40"] = "half"  # % Complete: a percentage
    wb["Resources"]["C5"] = "a lot"  # Rate: a number
    path = tmp_path / "hints.xlsx"
    wb.save(path)
    findings = pmo_xl.validate(pmo_xl.load(path)).to_dict()["findings"]
    hints = {f["cell"]: f["hint"] for f in findings if f["rule"] == "DT001"}
    assert hints["F40"] == "Type a number, without text or units (e.g. 1500, not '1,500 EUR')."
    assert hints["G40"].startswith("Type a real date")
    assert hints["N40"] == "Type a percentage (e.g. 50%)."
    assert hints["C5"] == "Type a number, without text or units (e.g. 1500, not '1,500 EUR')."
