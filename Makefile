# Two commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PMO    := $(VENV)/bin/pmo-xl
DEMO   := out/Demo_Project.xlsx

.PHONY: demo test workbooks bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	@mkdir -p out
	$(PMO) demo $(DEMO) --force
	$(PMO) info $(DEMO)
	$(PMO) validate --write $(DEMO) || test $$? -eq 1   # exit 1 = the demo's deliberate defects
	$(PMO) schedule --write $(DEMO)
	$(PMO) rollup --write $(DEMO)
	$(PMO) change list $(DEMO)
	@echo
	@echo "Demo workbook: $(abspath $(DEMO))"

test: $(VENV)/.installed
	$(PY) -m pytest -q

workbooks: $(VENV)/.installed
	$(PMO) new workbooks/PMO_Template.xlsx --force
	$(PMO) new workbooks/PMO_Template.xlsm --force
	$(PMO) demo workbooks/Example_Project.xlsx --force

bench: $(VENV)/.installed
	$(PY) benchmarks/read.py
	$(PY) benchmarks/validate.py
	$(PY) benchmarks/run.py
	$(PY) benchmarks/contention.py

clean:
	rm -rf out .pytest_cache
