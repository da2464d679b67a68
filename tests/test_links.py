"""Predecessors text parser: grammar, tolerance, problems as values, round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmo_xl.engine.links import LINK_TYPES, Link, format_links, parse_predecessors


def test_the_spec_example():
    links, problems = parse_predecessors("3, 5SS+2, 7FF-1, 9SF")
    assert links == [Link(3), Link(5, "SS", 2), Link(7, "FF", -1), Link(9, "SF", 0)]
    assert problems == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5fs+2d", Link(5, "FS", 2)),
        ("5 FS + 2 days", Link(5, "FS", 2)),
        ("5FS+2 day", Link(5, "FS", 2)),
        ("5+2", Link(5, "FS", 2)),
        ("5-3", Link(5, "FS", -3)),
        ("  12 sf ", Link(12, "SF", 0)),
        ("7FF-1d", Link(7, "FF", -1)),
        ("4SS+0", Link(4, "SS", 0)),
        ("8FS+2.0", Link(8, "FS", 2)),
    ],
)
def test_tolerant_forms(text, expected):
    assert parse_predecessors(text) == ([expected], [])


@pytest.mark.parametrize(
    "part, words",
    [
        ("x", "not a link"),
        ("5XX", "not one of FS"),
        ("5FS+2w", "working days"),
        ("5FS+2ed", "working days"),
        ("5FS+50%", "working days"),
        ("5FS+1.5", "whole number"),
        ("0", "> 0"),
        ("-3", "not a link"),
        ("5 6", "not a link"),
        ("A3", "not a link"),
    ],
)
def test_malformed_parts_are_reported_not_raised(part, words):
    links, problems = parse_predecessors(f"1, {part}, 2")
    assert links == [Link(1), Link(2)]
    assert len(problems) == 1
    assert problems[0].text == part
    assert words in problems[0].message


def test_separators_empty_parts_and_duplicates():
    assert parse_predecessors("3; 4SS , ,5,")[0] == [Link(3), Link(4, "SS"), Link(5)]
    links, problems = parse_predecessors("3, 3SS+1")
    assert links == [Link(3)]
    assert problems[0].text == "3SS+1" and "already" in problems[0].message


@pytest.mark.parametrize("empty", [None, "", "   ", float("nan"), math.nan])
def test_empty_cells(empty):
    assert parse_predecessors(empty) == ([], [])


def test_numbers_from_cells():
    assert parse_predecessors(3) == ([Link(3)], [])
    assert parse_predecessors(3.0) == ([Link(3)], [])
    assert parse_predecessors(2.5)[1][0].text == "2.5"
    assert parse_predecessors(True)[1]


def test_format():
    assert format_links([Link(3), Link(5, "SS", 2), Link(7, "FF", -1), Link(9, "SF"), Link(4, "FS", 1)]) == (
        "3, 5SS+2, 7FF-1, 9SF, 4FS+1"
    )


link_lists = st.lists(
    st.builds(Link, st.integers(1, 10**6), st.sampled_from(LINK_TYPES), st.integers(-999, 999)),
    max_size=8,
    unique_by=lambda link: link.pred,
)


@given(link_lists)
def test_format_then_parse_round_trip(links):
    assert parse_predecessors(format_links(links)) == (links, [])


@given(link_lists, st.sampled_from([",", ";", " , ", ",  "]), st.booleans())
def test_round_trip_in_other_spellings(links, sep, lower):
    def spell(link: Link) -> str:
        text = f"{link.pred} {link.type}"
        if link.lag:
            text += f" {'+' if link.lag > 0 else '-'} {abs(link.lag)}d"
        return text.lower() if lower else text

    assert parse_predecessors(sep.join(spell(link) for link in links)) == (links, [])


@given(st.text(max_size=30))
def test_never_raises_on_any_text(text):
    links, problems = parse_predecessors(text)
    assert all(isinstance(link, Link) for link in links)
    assert all(p.text and p.message for p in problems)


def test_docstring_examples():
    import doctest

    import pmo_xl.engine.links as module

    assert doctest.testmod(module).failed == 0


def test_long_texts_are_parsed_alike_and_not_remembered():
    """The parse caches hold short texts only (any real predecessor list is short)."""
    from pmo_xl.engine import links as L

    L._remembered_text.cache_clear()
    L._remembered_part.cache_clear()
    long_text = ", ".join(str(i) for i in range(1, 400))  # > 512 characters
    got = L.parse_predecessors(long_text)
    assert [link.pred for link in got[0]] == list(range(1, 400)) and got[1] == []
    assert L._remembered_text.cache_info().currsize == 0  # the text is not kept (its short parts are)
    assert L._remembered_part.cache_info().currsize == 399
    part = "7" * 80 + "FS+1"  # a part > 64 characters
    assert L.parse_predecessors("1, " + part) == ([L.Link(1), L.Link(int("7" * 80), "FS", 1)], [])
    assert L._remembered_part.cache_info().currsize == 399  # "1" was there; the long part is not kept
