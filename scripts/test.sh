#!/usr/bin/env bash
# The whole test suite: installs what it needs, then pytest starts every server itself
# (influxd, PostgreSQL, the fake PagerDuty, SMTP, Chromium) on free loopback ports.
# Extra arguments go to pytest, e.g. scripts/test.sh -k influx
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
export PYTHONHASHSEED=0
.venv/bin/ruff check --quiet alerter integrations tests bench grafana && echo "ruff: clean"
.venv/bin/lint-imports --no-cache >/dev/null && echo "import contracts: kept"
.venv/bin/python grafana/build.py --check >/dev/null && echo "grafana dashboards: up to date"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
