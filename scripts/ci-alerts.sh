#!/usr/bin/env bash
# Alerts: the email integration tests against a real SMTP server
# (aiosmtpd from PyPI, in a venv cached under $HOME/.cache/streampark-dev) on free loopback
# ports: one plain + STARTTLS server and one implicit-TLS (SMTPS) server, both requiring AUTH.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${HOME}/.cache/streampark-dev"
VENV="${CACHE}/aiosmtpd-venv"
mkdir -p "${CACHE}"
if ! "${VENV}/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    python3 -m venv "${VENV}"
    "${VENV}/bin/pip" install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi

OUT="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "${pid}" 2>/dev/null || true
        wait "${pid}" 2>/dev/null || true
    done
    rm -rf "${OUT}"
}
trap cleanup EXIT

# A self-signed certificate for STARTTLS and SMTPS.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
    -keyout "${OUT}/key.pem" -out "${OUT}/cert.pem" >/dev/null 2>&1

SMTP_USER="alerts-ci"
SMTP_PASS="ci-$(date +%s)-${RANDOM}"

# start_server NAME [smtps]: starts scripts/smtp_sink.py on a free port; sets PORT.
start_server() {
    local name="$1" mode="${2:-}" pid log="${OUT}/$1.log"
    for _ in 1 2 3 4 5; do
        PORT="$("${VENV}/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
        "${VENV}/bin/python" scripts/smtp_sink.py 127.0.0.1 "${PORT}" "${OUT}/mail" \
            "${SMTP_USER}" "${SMTP_PASS}" "${OUT}/cert.pem" "${OUT}/key.pem" ${mode} >"${log}" 2>&1 &
        pid=$!
        for _ in $(seq 1 50); do
            if grep -q "listening" "${log}" 2>/dev/null || ! kill -0 "${pid}" 2>/dev/null; then break; fi
            sleep 0.1
        done
        if kill -0 "${pid}" 2>/dev/null && grep -q "listening" "${log}"; then
            PIDS+=("${pid}")
            return 0
        fi
    done
    echo "ci-alerts: could not start the ${name} SMTP server" >&2
    cat "${log}" >&2 || true
    return 1
}

start_server smtp
export STREAMPARK_IT_SMTP="127.0.0.1:${PORT}"
start_server smtps smtps
export STREAMPARK_IT_SMTPS="127.0.0.1:${PORT}"
export STREAMPARK_IT_SMTP_OUT="${OUT}/mail"
export STREAMPARK_IT_SMTP_USER="${SMTP_USER}"
export STREAMPARK_IT_SMTP_PASSWORD="${SMTP_PASS}"
export STREAMPARK_IT_SMTP_STARTTLS=1
cargo test --workspace --all-features --test email_smtp
