"""``xl/tables/tableN.xml``: an Excel table (ListObject) over a header row and data rows."""

from __future__ import annotations

import re
from typing import Sequence

from .cells import escape_attr

_NAME = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]{0,254}$")
_CELLISH = re.compile(r"^([A-Za-z]{1,3}\d+|[RrCc]\d*|[Rr]\d+[Cc]\d+)$")


def valid_table_name(name: str) -> bool:
    """Excel's rule for table (and defined) names: letter/underscore/backslash first,
    then letters, digits, dots, underscores; not a cell reference."""
    return bool(_NAME.match(name)) and not _CELLISH.match(name)


def table_xml(
    table_id: int,
    name: str,
    ref: str,
    headers: Sequence[str],
    *,
    style: str = "TableStyleMedium2",
) -> bytes:
    """The table part, laid out as Excel writes it (autoFilter, columns, style)."""
    cols = "".join(
        f'<tableColumn id="{i}" name="{escape_attr(h)}"/>' for i, h in enumerate(headers, 1)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'id="{table_id}" name="{name}" displayName="{name}" ref="{ref}" totalsRowShown="0">'
        f'<autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(headers)}">{cols}</tableColumns>'
        f'<tableStyleInfo name="{style}" showFirstColumn="0" showLastColumn="0" '
        'showRowStripes="1" showColumnStripes="0"/>'
        "</table>"
    )
    return xml.encode("utf-8")
