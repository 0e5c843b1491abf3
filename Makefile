# Meria: `make run` starts the whole stack; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
UV := .tools/bin/uv
UV_VERSION := 0.13.9
MERIA := $(VENV)/bin/meria
PYTEST := $(VENV)/bin/pytest
export UV_PYTHON := python3
export UV_PYTHON_DOWNLOADS := never

.PHONY: install chromium schemas run up migrate seed status test test-sqlite test-postgres fuzz lint format bench reset asyncapi histories messages image deploy-check

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The virtual environment, exactly as uv.lock pins it.
install: $(UV)
	$(UV) sync --frozen --quiet

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here):
# root with apt installs it (and the signing tools below); anyone else is told the
# command, before any test runs.
CHROMIUM := /usr/bin/chromium
# poppler-utils and libnss3-tools: pdfsig checks signed legal acts beside pyHanko;
# softhsm2: a real PKCS#11 token holds an official's key (test_signing_devices.py).
BROWSER_PACKAGES := chromium fonts-noto-core poppler-utils libnss3-tools softhsm2
# npm comes with Node.js where a machine has one (NodeSource's nodejs carries its own npm,
# and Debian's npm package conflicts with it), so Debian's npm is installed only if missing.
chromium:
	@if [ ! -x "$(CHROMIUM)" ] || ! command -v pdfsig >/dev/null || ! command -v softhsm2-util >/dev/null || ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing Debian's Chromium and the signing tools for the tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) \
	        $$(command -v npm >/dev/null || echo npm) >/dev/null; \
	  else \
	    echo "make: the tests need Chromium at $(CHROMIUM) and the signing tools; install them with:" >&2; \
	    echo "  sudo apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) $$(command -v npm >/dev/null || echo npm)" >&2; \
	    exit 1; \
	  fi; \
	fi

# The schemas the format tests validate against, as their publishers' packages ship them
# (tests/schemas/package.json: sitemaps.org's sitemap.xsd comes with npm's `sitemap`);
# nothing third-party is kept in the repository. Without npm the test says what to run.
SITEMAP_XSD := tests/schemas/node_modules/sitemap/schema/sitemap.xsd
schemas: $(SITEMAP_XSD)
$(SITEMAP_XSD): tests/schemas/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/schemas --ignore-scripts --no-audit --no-fund --silent; \
	else echo "make: npm is missing; the sitemap's schema test will be skipped (apt-get install npm)" >&2; fi

# The development stack serves Akhmeta, installed as NATS comes up unless a profile is
# there already (`meria municipality set FILE` installs another).
run: install migrate
	$(MERIA) up --municipality deploy/municipalities/akhmeta.toml

up: install
	$(MERIA) up --no-seed --municipality deploy/municipalities/akhmeta.toml

migrate: install
	$(MERIA) migrate

seed: install
	$(MERIA) seed

status: install
	$(MERIA) status

# The whole suite on SQLite; then, when MERIA_TEST_DATABASE_URL names a PostgreSQL
# server, every test that touches a database again on PostgreSQL.
test: install chromium schemas
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$MERIA_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "MERIA_TEST_DATABASE_URL is not set: PostgreSQL pass skipped (CI runs it)"; fi

# Two files at a time (pytest-xdist, a file to a worker): each worker starts its own NATS
# and Temporal on ports of its own; PYTEST_WORKERS=0 runs them one after another. Measured
# here on two cores: the SQLite pass in 14 minutes instead of 26. The slowest tests are
# listed at the end of each pass.
PYTEST_WORKERS ?= 2
test-sqlite:
	MERIA_TEST_DATABASE_URL= $(PYTEST) -q -n $(PYTEST_WORKERS) --dist loadfile --durations=15 tests

# The browser stories and the portal's screens ran on SQLite already; what they add on
# PostgreSQL is covered by the services' integration tests beneath them, so the second
# pass leaves them out (tests/conftest.py says which are screens).
test-postgres:
	$(PYTEST) -q -n $(PYTEST_WORKERS) --dist loadfile \
		-m "database and not e2e and not fuzz and not screens" tests

# Schema fuzzing of every API as an administrator and as a requester, thoroughly: every
# boundary case of each schema (thousands of requests per service), then FUZZ_EXAMPLES
# random ones per operation; about ten minutes here. FUZZ_SECONDS=n instead fuzzes each
# service and role for exactly n seconds. The test suite runs a short pass of the same test.
FUZZ_EXAMPLES ?= 25
FUZZ_SECONDS ?=
fuzz: install
	MERIA_TEST_FUZZ_PHASES=examples,coverage,fuzzing MERIA_TEST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		MERIA_TEST_FUZZ_SECONDS=$(FUZZ_SECONDS) MERIA_TEST_FUZZ_SEED=$${MERIA_TEST_FUZZ_SEED:-$$RANDOM} \
		$(PYTEST) -q tests/integration/test_schema_fuzzing.py

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy meria services workflows
	$(VENV)/bin/hadolint deploy/Containerfile deploy/single-server/images/*.Containerfile

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(VENV)/bin/python bench/bus.py
	$(VENV)/bin/python bench/publication.py
	$(VENV)/bin/python bench/events.py
	$(VENV)/bin/python bench/visits.py
	$(VENV)/bin/python bench/website.py
	$(VENV)/bin/python bench/media.py
	$(VENV)/bin/python bench/media_lists.py
	$(VENV)/bin/python bench/scale.py --data var/bench-scale --markdown var/bench-scale/table.md

# Extracts the portal's strings (and the events service's invitee page's) and updates
# their catalogs; translate the new ones in services/portal/locale/ka/LC_MESSAGES/
# messages.po and services/events/locale/ka/… (a test fails while any is missing).
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location \
		--sort-output --omit-header -o services/portal/locale/messages.pot .
	$(VENV)/bin/pybabel update -i services/portal/locale/messages.pot \
		-d services/portal/locale --no-fuzzy-matching --omit-header
	$(VENV)/bin/pybabel extract -F babel-events.cfg -k _ -k N_ -k gettext -k ngettext:1,2 \
		--no-location --sort-output --omit-header -o services/events/locale/messages.pot .
	$(VENV)/bin/pybabel update -i services/events/locale/messages.pot -l ka \
		-d services/events/locale --no-fuzzy-matching --omit-header

asyncapi: install
	$(MERIA) asyncapi

# Records a history for each workflow scenario that has none yet (tests/histories/).
histories: install
	$(VENV)/bin/python -m tests.histories.record

# The container image of every process (deploy/Containerfile), built with podman; on a
# machine that reaches no registry of container images, on a Debian root of its own.
# Podman's settings for machines without systemd: deploy/podman/containers.conf.
export CONTAINERS_CONF ?= $(CURDIR)/deploy/podman/containers.conf
image:
	deploy/build-image

# The single-server stack (deploy/single-server/) from the image up, on podman: every
# service ready, a news item published through the API and read on the website through
# Caddy over HTTPS, a backup taken by the stack's backup service, two services killed and
# back on their own with nothing lost, then the backup restored by its restore service.
deploy-check: install image
	$(PYTEST) -q -s -m deploy -p no:cacheprovider tests/deploy

# Deletes every database, the bus's streams and Temporal's history under var/.
reset:
	rm -rf var
