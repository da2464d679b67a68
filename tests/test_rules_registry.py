"""The rule registry: IDs, severities, examples, and docs/rules.md generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from pmo_xl.engine.rules import FAMILIES, RULES, all_rules, rules_markdown
from pmo_xl.model import SEVERITIES

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_docs_rules_md_is_generated_from_the_registry():
    assert DOC.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `python -m pmo_xl.engine.rules > docs/rules.md`"
    )


def test_every_rule_is_declared_well():
    rules = all_rules()
    assert len(rules) == len({r.id for r in rules}) > 60
    for r in rules:
        assert re.fullmatch(r"(WB|DT|PL|FN|CR)\d{3}", r.id), r.id
        assert r.family in FAMILIES and r.severity in SEVERITIES
        assert r.title and r.checks and r.example[0] and r.example[1] and r.hint
    # numbering has no gaps within a family (stable IDs, easy to find in the docs)
    for fam in FAMILIES:
        nums = sorted(int(r.id[2:]) for r in rules if r.family == fam)
        assert nums == list(range(1, len(nums) + 1)), fam


def test_every_rule_and_dcma_check_is_in_the_doc():
    text = rules_markdown()
    for rid, r in RULES.items():
        assert f"### {rid}" in text and r.title in text
    for n in range(1, 15):
        assert re.search(rf"^\| {n} \| ", text, re.M)
