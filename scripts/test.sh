#!/usr/bin/env bash
# Install everything the tests need (Python packages into .venv; Debian's Chromium via apt
# when it is missing and we may install it), then lint, type-check and run the whole suite.
# Extra arguments go to pytest.
EXTRA=test source "$(dirname "$0")/_env.sh"
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "Chromium is missing: install Debian's 'chromium' package or set CHROMIUM_PATH." >&2
        exit 1
    fi
fi
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
