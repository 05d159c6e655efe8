#!/usr/bin/env bash
# Refresh the committed pictures under docs/screenshots/: run the browser tests (which write their
# screenshots and page timings only under test-results/screenshots/), then copy those files here.
# Extra arguments go to pytest (e.g. -k digits). The tests never write into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRA=test source scripts/_env.sh
rm -rf test-results/screenshots
.venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider "$@"
mkdir -p docs/screenshots
cp test-results/screenshots/*.png docs/screenshots/
[ -f test-results/screenshots/perf.json ] && cp test-results/screenshots/perf.json docs/screenshots/
ls -l docs/screenshots
