#!/usr/bin/env bash
# The main job on embedded defaults: installs what it needs (venv, Debian's influxdb), starts influxd
# on 127.0.0.1 with its data under ./var/, loads the bundled demo data set (a small PaaS with a few
# real problems in it) and runs the engine on rules/, printing what fires. Ctrl-C stops everything.
# Extra arguments go to `alerter demo` (see `alerter demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/alerter demo "$@"
