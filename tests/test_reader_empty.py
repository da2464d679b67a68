"""empty_frame hands out frames that share the cached template's blocks (pandas 3's
copy-on-write): writing to one leaves the template and every other copy as they were."""

from __future__ import annotations

import pandas as pd

from pmo_xl import schema
from pmo_xl.io import reader as rd


def test_empty_frames_are_independent() -> None:
    spec = schema.TABLES["tblRollupTask"]
    a, b = rd.empty_frame(spec, ["Mine"]), rd.empty_frame(spec, ["Mine"])
    assert a is not b
    want = b.copy()
    a["Extra"] = pd.Series([], dtype="float64")
    a.index.name = "other"
    a.columns = [*a.columns[:-2], "Yours", "Extra"]
    a.loc[7, "Extra"] = 1.0
    assert len(a) == 1
    c = rd.empty_frame(spec, ["Mine"])
    for frame in (b, c):
        pd.testing.assert_frame_equal(frame, want, check_exact=True)
        assert list(frame.columns) == list(spec.headers) + ["Mine"] and frame.index.name == "row"
        assert [str(t) for t in frame.dtypes] == [str(t) for t in want.dtypes]
