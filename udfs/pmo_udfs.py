"""xlwings entry points (custom functions and button scripts) — see issue 7."""
