# densitykit: `make demo` runs the main job, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test quick bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

# The main job: synthetic Dow process data, its model file and its HTML report in out/,
# then the chapter walkthrough's figures in out/chapter/.
demo: $(STAMP)
	mkdir -p out
	cp src/densitykit/datasets/data/dow_impurity_validation.csv.gz out/dow.csv.gz
	$(PY) -m densitykit synth out/dow.csv.gz -o out/dow-synthetic.csv --exclude -5: --check-all --seed 0 --force
	$(PY) examples/chapter.py --out out/chapter

test: $(STAMP)
	$(PY) -m pytest -q

quick: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -x

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) out .pytest_cache
