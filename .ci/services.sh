#!/usr/bin/env bash
# Start what the tests talk to: PostgreSQL (this machine kind ships it), a
# throw-away Dovecot IMAP server for the e-mail channel, and Debian's chromium for
# the web workspace's browser tests (Playwright drives it; its own browser download
# is not reachable here). Idempotent: quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        version=$(ls /etc/postgresql | head -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "warning: PostgreSQL is not reachable on 127.0.0.1:5432; its tests will skip (and fail under CI)" >&2
fi

if [ -f .ci/dovecot.sh ]; then
    bash .ci/dovecot.sh
fi

if ! command -v chromium >/dev/null 2>&1; then
    . .ci/sudo.sh
    if [ "$SUDO" != missing ]; then
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
            || echo "warning: could not install chromium; the browser tests will skip (and fail under CI)" >&2
    else
        echo "warning: chromium is missing and cannot be installed without root; the browser tests will skip (and fail under CI)" >&2
    fi
fi
