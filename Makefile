# ens — every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench synth deploy clean fuzz load audit api-docs portal portal-client portal-screenshots

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## the whole stack: AWS emulator, resources, event worker and schedules, API
	$(BIN)/python -u -m ens_cli.stack

test: lint portal  ## make lint's checks, the portal's suites (types, vitest, browser tests in Chromium), then pytest
	cd portal && npm run -s typecheck && npm run -s test:unit && npm run -s test:browser
	$(BIN)/python -m pytest

portal: $(STAMP)  ## the patient portal: npm ci from the lockfile and vite build, each skipped when nothing changed
	$(BIN)/python -m ens_cli.portal_build

portal-client: $(STAMP) portal  ## after an API change: portal/openapi.json and the portal's typed client, regenerated
	$(BIN)/python -m ens_cli.openapi_export portal/openapi.json
	cd portal && npm run -s api:generate

portal-screenshots: $(STAMP) portal  ## the browser tests, saving the README's screenshots into docs/portal/
	cd portal && ENS_SCREENSHOTS=1 npm run -s test:browser

fuzz: $(STAMP)  ## Schemathesis against a local stack it starts: >= 2,000 generated requests, no 5xx, declared answers
	$(BIN)/python bench/fuzz.py --examples 40

load: $(STAMP)  ## a bounded mixed patient/professional load run against a local stack it starts (loopback only)
	$(BIN)/python bench/load.py --patients 20 --requests 3000 --threads 8 --seconds 120

audit: $(STAMP)  ## bandit (justified skips in tests/security/bandit-*.yml) and pip-audit over every pin
	$(BIN)/bandit -c tests/security/bandit-app.yml -r chalicelib app.py -q
	$(BIN)/bandit -c tests/security/bandit-cli.yml -r ens_cli -q
	$(BIN)/python -m pytest tests/security -q -rs

lint: $(STAMP)  ## ruff; mypy (strict for domain/ and services/); import-linter's layer contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

api-docs: $(STAMP)  ## rewrite docs/api.md from the OpenAPI document (a test fails when it is stale)
	$(BIN)/python -m ens_cli.apidocs

bench: $(STAMP)  ## benchmarks (ratios side by side, ~6 min): prints the table, writes docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH_ARGS)

synth: $(STAMP) portal  ## CloudFormation templates into infra/cdk.out/ (API and data, portal hosting), offline
	rm -rf infra/cdk.out
	CDK_DEFAULT_ACCOUNT=000000000000 CDK_DEFAULT_REGION=eu-west-3 CDK_OUTDIR=infra/cdk.out $(BIN)/python infra/app.py
	@ls infra/cdk.out/*.template.json

deploy: $(STAMP) portal  ## the prod stage, with your AWS credentials (docs/deploy.md); never run in CI
	cd infra && ENS_DEPLOY=1 $${CDK_CLI:-npx --yes aws-cdk@2.1148.1} deploy --require-approval broadening $(CDK_ARGS)

clean:
	rm -rf $(VENV) infra/cdk.out .pytest_cache portal/node_modules portal/dist portal/test-results portal/.cache
