"""pmo.toml: parsing (good, every kind of bad), stored in the workbook, used by validate
and rollup without the file."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import schema
from pmo_xl.cli import cli
from pmo_xl.config import OrgConfig, load_config, parse_config, read_stored, thresholds_for
from pmo_xl.errors import PmoError
from pmo_xl.io.template import build_workbook

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "pmo.toml"


def test_example_config_parses() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.name == "Acme PMO"
    assert cfg.setting_defaults() == {"Currency": "EUR", "HoursPerDay": 8, "WorkWeek": "1111100", "HolidayCountry": "DE"}
    assert cfg.lists["CostCategory"] == (*schema.LISTS["CostCategory"], "Facilities", "Licences")
    assert cfg.lists["CRType"][-1] == "Regulatory"
    assert cfg.lists["Priority"] == schema.LISTS["Priority"]
    assert cfg.rag_thresholds().green == 0.95 and cfg.dcma_thresholds().high_float_days == 44


def test_empty_config_is_the_standard() -> None:
    cfg = parse_config({})
    assert cfg.lists == schema.LISTS
    assert cfg.setting_defaults() == {}
    from pmo_xl.engine.dcma import DcmaThresholds
    from pmo_xl.engine.evm import RagThresholds

    assert cfg.rag_thresholds() == RagThresholds() and cfg.dcma_thresholds() == DcmaThresholds()


def test_values_are_normalised() -> None:
    cfg = parse_config({"organization": {"currency": "usd", "holiday_country": "gb", "hours_per_day": 7.5},
                        "lists": {"cost_categories": [" Facilities ", "labour"]},
                        "thresholds": {"dcma": {"high_float_days": 30.0}}})
    assert cfg.currency == "USD" and cfg.holiday_country == "GB" and cfg.hours_per_day == 7.5
    assert cfg.extra_lists == {"CostCategory": ("Facilities",)}  # "labour" is already standard
    assert cfg.dcma == {"high_float_days": 30} and isinstance(cfg.dcma["high_float_days"], int)


BAD = [
    ({"organisation": {}}, "organisation", "unknown key"),
    ({"organization": {"colour": "red"}}, "organization.colour", "unknown key"),
    ({"organization": "Acme"}, "organization", "must be a table"),
    ({"organization": {"name": 3}}, "organization.name", "must be text"),
    ({"organization": {"currency": "EURO"}}, "organization.currency", "ISO 4217"),
    ({"organization": {"hours_per_day": "8"}}, "organization.hours_per_day", "must be a number"),
    ({"organization": {"hours_per_day": 30}}, "organization.hours_per_day", "between 0 and 24"),
    ({"organization": {"work_week": "11111"}}, "organization.work_week", "7 characters"),
    ({"organization": {"work_week": "11111x0"}}, "organization.work_week", "7 characters"),
    ({"organization": {"work_week": 1111100}}, "organization.work_week", "quoted"),
    ({"organization": {"work_week": "0000000"}}, "organization.work_week", "no working day"),
    ({"organization": {"holiday_country": "XX"}}, "organization.holiday_country", "country code"),
    ({"lists": {"funding": ["Grant"]}}, "lists.funding", "cannot be extended"),
    ({"lists": {"task_statuses": ["Blocked"]}}, "lists.task_statuses", "cannot be extended"),
    ({"lists": {"colours": ["red"]}}, "lists.colours", "unknown list"),
    ({"lists": {"cost_categories": "Facilities"}}, "lists.cost_categories", "must be a list"),
    ({"lists": {"cost_categories": [1]}}, "lists.cost_categories[0]", "must be text"),
    ({"lists": {"cost_categories": [""]}}, "lists.cost_categories[0]", "empty"),
    ({"lists": {"cost_categories": ["=HYPERLINK()"]}}, "lists.cost_categories[0]", "plain names"),
    ({"lists": {"cost_categories": ["A", "a"]}}, "lists.cost_categories[1]", "twice"),
    ({"thresholds": {"rag_green": "high"}}, "thresholds.rag_green", "must be a number"),
    ({"thresholds": {"rag_green": 0.9, "rag_amber": 0.95}}, "thresholds.rag_amber", "above rag_green"),
    ({"thresholds": {"red": 0.5}}, "thresholds.red", "unknown key"),
    ({"thresholds": {"dcma": {"logic": 5}}}, "thresholds.dcma.logic", "unknown key"),
    ({"thresholds": {"dcma": {"high_float_days": 44.5}}}, "thresholds.dcma.high_float_days", "whole number"),
    ({"thresholds": {"dcma": {"high_float_days": 0}}}, "thresholds.dcma.high_float_days", "whole number"),
    ({"thresholds": {"dcma": {"logic_max": 150}}}, "thresholds.dcma.logic_max", "percentage"),
    ({"thresholds": {"dcma": {"bei_min": True}}}, "thresholds.dcma.bei_min", "must be a number"),
    ({"thresholds": {"dcma": 5}}, "thresholds.dcma", "must be a table"),
]


@pytest.mark.parametrize(("data", "key", "words"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_config_names_the_key(data: dict, key: str, words: str) -> None:
    with pytest.raises(PmoError) as err:
        parse_config(data, source="pmo.toml")
    message = str(err.value)
    assert message.startswith(f"pmo.toml: {key}: "), message
    assert words in message
    assert "\n" not in message


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "pmo.toml"
    broken.write_text("[organization\nname = 'x'\n")
    with pytest.raises(PmoError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(PmoError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(PmoError, match="not a text file"):
        load_config(binary)


@given(st.text(alphabet="01x", min_size=0, max_size=9))
@settings(max_examples=80, deadline=None)
def test_work_week_accepted_exactly_when_valid(ww: str) -> None:
    valid = bool(re.fullmatch(r"[01]{7}", ww)) and "1" in ww
    try:
        cfg = parse_config({"organization": {"work_week": ww}})
    except PmoError as exc:
        assert not valid, exc
        assert "organization.work_week" in str(exc)
    else:
        assert valid and cfg.work_week == ww


@given(st.floats(min_value=0.01, max_value=2, allow_nan=False), st.floats(min_value=0.01, max_value=2, allow_nan=False))
@settings(max_examples=60, deadline=None)
def test_rag_limits(green: float, amber: float) -> None:
    data = {"thresholds": {"rag_green": green, "rag_amber": amber}}
    if amber > green:
        with pytest.raises(PmoError, match="rag_amber"):
            parse_config(data)
    else:
        t = parse_config(data).rag_thresholds()
        assert (t.green, t.amber) == (green, amber)


# --------------------------------------------------------------------------- in the workbook


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OrgConfig]:
    cfg = parse_config({
        "organization": {"name": "Acme PMO", "currency": "USD", "hours_per_day": 7.5, "work_week": "1111110",
                         "holiday_country": "GB"},
        "lists": {"cost_categories": ["Facilities", "Licences"], "priorities": ["Urgent"]},
        "thresholds": {"rag_green": 0.97, "rag_amber": 0.85, "dcma": {"high_float_days": 30, "logic_max": 7.5}},
    })
    path = tmp_path_factory.mktemp("cfg") / "P.xlsx"
    build_workbook(path, {"ProjectName": "P", "ProjectCode": "P1", "StartDate": "2026-03-02", "Currency": "EUR"},
                   config=cfg)
    return path, cfg


def test_settings_are_stored_in_the_workbook(configured: tuple[Path, OrgConfig]) -> None:
    path, cfg = configured
    back = read_stored(path)
    assert back is not None
    assert back.name == "Acme PMO"
    assert (back.rag_green, back.rag_amber) == (0.97, 0.85)
    assert back.dcma_thresholds() == cfg.dcma_thresholds()
    assert back.lists == cfg.lists
    # openpyxl sees the names, the cells and the extended drop-down source
    wb = openpyxl.load_workbook(path)
    assert wb["Lists"].sheet_state == "hidden"
    sheet, cell = next(iter(wb.defined_names["cfgRagGreen"].destinations))
    assert sheet == "Lists" and wb[sheet][cell.replace("$", "")].value == 0.97
    sheet, rng = next(iter(wb.defined_names["lst_CostCategory"].destinations))
    items = [c[0].value for c in wb[sheet][rng.replace("$", "")]]
    assert items == list(cfg.lists["CostCategory"])
    dv = [d for d in wb["Costs"].data_validations.dataValidation if d.type == "list"]
    assert any(d.formula1 == "lst_CostCategory" for d in dv)


def test_org_defaults_fill_only_what_the_project_leaves_empty(configured: tuple[Path, OrgConfig]) -> None:
    import pmo_xl

    book = pmo_xl.load(configured[0])
    assert book.settings["Currency"] == "EUR"  # the project's own value wins
    assert book.settings["HoursPerDay"] == 7.5
    assert book.settings["WorkWeek"] == "1111110"
    assert book.settings["HolidayCountry"] == "GB"
    assert not book.structure


def test_standard_workbook_stores_nothing(tmp_path: Path) -> None:
    path = build_workbook(tmp_path / "plain.xlsx")
    assert read_stored(path) is None
    import pmo_xl

    t = thresholds_for(pmo_xl.load(path))
    assert t.rag == OrgConfig().rag_thresholds() and t.dcma == OrgConfig().dcma_thresholds()
    assert t.lists == schema.LISTS


def _demo_with(path: Path, cfg: OrgConfig | None) -> Path:
    from pmo_xl.demo import make_demo

    demo = make_demo(seed=3)
    return build_workbook(path, demo.settings, demo.rows, config=cfg)


def test_validate_uses_stored_thresholds_and_lists_without_the_file(tmp_path: Path) -> None:
    from pmo_xl.demo import make_demo

    demo = make_demo(seed=3)
    rows = dict(demo.rows)
    costs = list(rows.get("tblCosts", []))
    costs.append({"Date": demo.settings["StartDate"], "Category": "Facilities", "Amount": 10.0, "Description": "desk"})
    rows["tblCosts"] = costs
    cfg = parse_config({"lists": {"cost_categories": ["Facilities"]}, "thresholds": {"dcma": {"high_float_days": 21}}})
    plain = build_workbook(tmp_path / "plain.xlsx", demo.settings, rows)
    stamped = build_workbook(tmp_path / "stamped.xlsx", demo.settings, rows, config=cfg)

    def run(path: Path) -> dict:
        result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.output)["files"][0]

    a, b = run(plain), run(stamped)
    facility = [f for f in a["findings"] if "'Facilities'" in f["message"]]
    assert len(facility) == 1 and facility[0]["sheet"] == "Costs" and facility[0]["rule"] == "FN015"
    assert not [f for f in b["findings"] if "'Facilities'" in f["message"]]
    check6 = {f["check"]: f for f in a["dcma"]}[6], {f["check"]: f for f in b["dcma"]}[6]
    assert "44" in check6[0]["threshold"] and "21" in check6[1]["threshold"]


def test_rollup_uses_stored_rag_thresholds(tmp_path: Path) -> None:
    from pmo_xl.engine.evm import RagThresholds, rag

    base = _demo_with(tmp_path / "base.xlsx", None)
    out = CliRunner().invoke(cli, ["rollup", str(base), "--format", "json"])
    assert out.exit_code == 0, out.output
    ref = json.loads(out.output)["files"][0]
    cpi, spi = ref["evm"]["cpi"], ref["evm"]["spi"]
    assert cpi and spi
    high = round(max(cpi, spi) + 0.1, 4)  # both indices below: Red
    low = round(min(cpi, spi) - 0.01, 4)  # both above: not Red
    for limits in ((high, high), (low, low)):
        cfg = parse_config({"thresholds": {"rag_green": limits[0], "rag_amber": limits[1]}})
        path = _demo_with(tmp_path / f"p{limits[0]}.xlsx", cfg)
        out = CliRunner().invoke(cli, ["rollup", str(path), "--format", "json"])
        got = json.loads(out.output)["files"][0]
        assert got["evm"]["cpi"] == cpi
        errors = json.loads(CliRunner().invoke(cli, ["validate", str(path), "--format", "json"]).output)["files"][0]
        expected = rag(cpi, spi, errors["summary"]["error"], RagThresholds(*limits))
        assert got["rag"] == expected
    assert rag(cpi, spi, 0, RagThresholds(high, high)) == "Red"
    assert rag(cpi, spi, 0, RagThresholds(low, low)) != "Red"


def test_cli_new_with_config(tmp_path: Path) -> None:
    out = tmp_path / "X.xlsx"
    result = CliRunner().invoke(cli, ["new", str(out), "--code", "X", "--config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    stored = read_stored(out)
    assert stored is not None and stored.lists["CostCategory"][-1] == "Licences"
    bad = tmp_path / "bad.toml"
    bad.write_text('[organization]\nwork_week = "11"\n')
    result = CliRunner().invoke(cli, ["new", str(tmp_path / "Y.xlsx"), "--config", str(bad)])
    assert result.exit_code == 2
    assert "organization.work_week" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "Y.xlsx").exists()


def test_stored_config_round_trips_every_dcma_field(tmp_path: Path) -> None:
    from pmo_xl.engine.dcma import DcmaThresholds

    values = {}
    for i, f in enumerate(dataclasses.fields(DcmaThresholds)):
        if isinstance(f.default, int):
            values[f.name] = 10 + i
        elif f.name in ("cpli_min", "bei_min"):
            values[f.name] = 0.5 + i / 100
        else:
            values[f.name] = float(i)
    cfg = parse_config({"thresholds": {"dcma": values}})
    path = build_workbook(tmp_path / "d.xlsx", config=cfg)
    back = read_stored(path)
    assert back is not None and back.dcma_thresholds() == DcmaThresholds(**values)


def test_a_book_without_a_file_gets_the_standard_limits() -> None:
    from pmo_xl.model import Book

    book = Book(path="", settings={})
    t = thresholds_for(book)
    assert t.rag == OrgConfig().rag_thresholds() and t.lists == schema.LISTS and t.source == ""
    assert isinstance(book.config, OrgConfig)  # cached: the engine reads book.config
