"""``python -m pmo_xl.engine.rules > docs/rules.md``: regenerate the rules reference."""

from . import rules_markdown

print(rules_markdown(), end="")
