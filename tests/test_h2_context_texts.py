"""The rule context's Arrow text routes at their edges: the printable-ASCII test of a
value's first and last bytes (33..126 kept as is) and a long column's codes taken into
its block row (code -1, an empty cell, as the last slot) — both as the pandas route."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_xl.schema import Column, Table
from support.normalised import assert_normalised_as_pandas

SPEC = Table("tblT", "T", (Column("S", "text"), Column("N", "number"), Column("U", "text")))


def _same(frame: pd.DataFrame) -> None:
    assert_normalised_as_pandas(frame, SPEC, ("S", "U"))


def _frame(s: list, u: list) -> pd.DataFrame:
    index = pd.Index(range(4, 4 + len(s)), name="row")
    return pd.DataFrame({"S": pd.Series(s, index=index, dtype="str"), "N": np.arange(len(s), dtype=np.float64),
                         "U": pd.Series(u, index=index, dtype="str")}, index=index)


def test_printable_edges_at_every_byte():
    # each byte 1..255 (as a character whose UTF-8 starts or ends with it) at either end
    chars = [chr(b) for b in range(1, 128)] + ["é", "\xa0", "ÿ", "\u3000"]
    s = [f"{c}x" for c in chars] + [f"x{c}" for c in chars] + [c for c in chars]
    u = [None, "", "a", " ", "!", "~", "\x7f", " ~", "! "] * (len(s) // 9) + [None] * (len(s) % 9)
    _same(_frame(s, u))
    _same(_frame(s[:40], u[:40]))  # a short table: value by value where not plain


def test_long_column_codes_with_blanks_into_the_block():
    n = 2_500  # above _SMALL rows, most of them filled: coded through Arrow's dictionary
    texts = ["a", " a", None, "", "b ", "  ", "c", "é"]
    s = [texts[k % len(texts)] for k in range(n)]
    u = [None] * n
    u[7] = " note "
    _same(_frame(s, u))
    _same(_frame(["x"] * n, [None] * n))  # distinct texts, none blank: the codes are Arrow's indices
