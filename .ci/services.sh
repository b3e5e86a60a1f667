#!/usr/bin/env bash
# Start what the tests talk to: PostgreSQL (this machine kind ships it) and a
# throw-away Dovecot IMAP server for the e-mail channel. Idempotent.
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
