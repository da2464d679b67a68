# Two commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PMO    := $(VENV)/bin/pmo-xl
DEMO   := out/Demo_Project.xlsx

# The native build (docs/native.md): a copy of the tracked sources in build/native, its hot
# modules compiled in place with mypyc, installed editable into its own venv.
NATIVE      := build/native
NVENV       ?= .venv-native
NPY         := $(abspath $(NVENV))/bin/python
MYPY        := mypy==2.4.1
SOURCES     := $(wildcard $(shell git ls-files --cached --others --exclude-standard 2>/dev/null))

.PHONY: demo test native test-native workbooks bench bench-pure clean

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

$(NVENV)/.base:
	$(PYTHON) -m venv $(NVENV)
	$(NPY) -m pip install -q --upgrade pip
	$(NPY) -m pip install -q 'setuptools>=77' wheel '$(MYPY)'
	touch $@

$(NATIVE)/.built: $(NVENV)/.base $(SOURCES)
	rm -rf $(NATIVE) && mkdir -p $(NATIVE)
	git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $(NATIVE)
	test ! -d ../shared || ln -sfn $(abspath ../shared) build/shared   # the corpus, where tests look for it
	cd $(NATIVE) && PMO_XL_MYPYC=1 $(NPY) setup.py -q build_ext --inplace
	PYTHONWARNINGS=ignore $(NPY) -m pip install -q --no-build-isolation -e '$(NATIVE)[test,bench]'
	touch $@

native: $(NATIVE)/.built
	$(NVENV)/bin/pmo-xl --version

# The whole suite again, against the native build: every compiled module must be loaded.
test-native: $(NATIVE)/.built
	cd $(NATIVE) && PMO_XL_EXPECT_NATIVE=1 $(NPY) -m pytest -q

# The figures of docs/performance.md, measured on the native build (bench-pure: on the
# pure-Python one). Both share the generated workbooks in benchmarks/.cache.
BENCHES := read validate run contention

bench: $(NATIVE)/.built
	cd $(NATIVE) && for b in $(BENCHES); do \
		PMO_BENCH_CACHE=$${PMO_BENCH_CACHE:-$(abspath benchmarks/.cache)} $(NPY) benchmarks/$$b.py || exit 1; done

bench-pure: $(VENV)/.installed
	for b in $(BENCHES); do $(PY) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf out .pytest_cache build
