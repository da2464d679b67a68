"""split_cell / parse_reference remember their parses: a repeated text gives the same
answer (and the same error) as a first parse."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmo_xl.io import package as P

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _split_ref(cell: str) -> tuple[int, int]:
    m = _CELL.match(cell.strip())
    if not m:
        raise ValueError(cell)
    return int(m.group(2)), P.column_index(m.group(1))


def _parse_ref(formula: str) -> tuple[str, str] | None:
    m = P._REF.match(formula.strip().lstrip("="))
    if not m:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    return sheet, m.group(3).replace("$", "").upper()


cells = st.one_of(
    st.builds(lambda d1, c, d2, r: f"{d1}{c}{d2}{r}", st.sampled_from(["", "$"]),
              st.from_regex(r"[A-Za-z]{1,4}", fullmatch=True), st.sampled_from(["", "$"]), st.integers(0, 10**8)),
    st.text(max_size=8),
)


@given(st.lists(cells, max_size=6))
def test_split_cell_same_twice(texts: list[str]) -> None:
    for text in texts + texts:
        try:
            want = _split_ref(text)
        except ValueError:
            with pytest.raises(ValueError):
                P.split_cell(text)
            continue
        assert P.split_cell(text) == want


sheets = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_ ]{0,6}", fullmatch=True), st.text(max_size=6))


@given(st.lists(st.builds(lambda eq, s, q, c1, c2: f"{eq}{q}{s}{q}!{c1}{c2}", st.sampled_from(["", "="]), sheets,
                          st.sampled_from(["", "'"]), cells, st.sampled_from(["", ":$B$2", ":Z"])), max_size=6))
def test_parse_reference_same_twice(formulas: list[str]) -> None:
    for f in formulas + formulas:
        assert P.parse_reference(f) == _parse_ref(f)


def test_memo_bounded() -> None:
    for i in range(P._SEEN_MAX + 10):
        P.split_cell(f"A{i + 1}")
    assert len(P._CELLS_SEEN) <= P._SEEN_MAX
    assert P.split_cell("$c$4") == (4, 3) and P.parse_reference("'Change Log'!$a$1:$B$2") == ("Change Log", "A1")
