# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
EXTRAS ?= dev,postgres,redis,demo
BIN := $(VENV)/bin
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: demo test test-host lint format messages bench clean venv

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

demo: venv
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_demo --base-url http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Tests run in parallel, one worker per core (pytest-xdist); PYTEST_ARGS="-n 0" runs them in one.
XDIST ?= -n auto
test: venv
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-host

# The same apps inside another project (tests/host_project: its own user model, base template,
# URL prefix and sign-in, no allauth): its own tests plus the existing suites that must hold
# there too. A session of its own, because Django's settings are fixed per process.
HOST_TESTS ?= tests/host_project tests/lessons/test_services.py tests/progress/test_services.py \
  tests/lessons/test_search.py \
  tests/test_learner_data.py tests/lessons/test_learner_data.py \
  tests/lessons/test_learner_data_views.py tests/lessons/test_learner_data_admin.py \
  tests/progress/test_selectors.py tests/progress/test_rules.py \
  tests/progress/test_sync_properties.py tests/progress/test_badges.py \
  tests/progress/test_requirements.py tests/progress/test_rules_parity.py \
  tests/comments/test_selectors.py tests/comments/test_tasks.py tests/lessons/test_background.py
test-host: venv
	$(BIN)/python -m pytest $(XDIST) -p no:cacheprovider --ds=tests.host_project.settings $(HOST_TESTS)

# The JavaScript: Biome, the version pinned in package.json and package-lock.json, installed
# into node_modules/ (needs Node and npm); biome.json holds its rules and the code's format.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error
	node_modules/.bin/biome ci

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Needs GNU gettext; the compiled .mo files are committed so users need nothing but Python.
messages: venv
	$(BIN)/python manage.py makemessages -l ko -l en --no-obsolete --no-location \
	  --ignore='.venv*' --ignore=tests --ignore=bench --ignore=test-artifacts
	$(BIN)/python manage.py compilemessages --ignore='.venv*' -v 0

# Benchmarks (not tests): bench/results.json and docs/benchmarks.md; BENCH_ARGS="--quick" etc.
bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
