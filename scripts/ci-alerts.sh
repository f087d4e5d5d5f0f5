#!/usr/bin/env bash
# Alerts: unit and receiver tests, then the email integration test against a real SMTP server
# (aiosmtpd from PyPI, in a venv cached under $HOME/.cache/streampark-dev), on a free loopback port.
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
SMTP_PID=""
cleanup() {
    if [[ -n "${SMTP_PID}" ]]; then kill "${SMTP_PID}" 2>/dev/null || true; wait "${SMTP_PID}" 2>/dev/null || true; fi
    rm -rf "${OUT}"
}
trap cleanup EXIT

# A self-signed certificate so the server offers STARTTLS.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
    -keyout "${OUT}/key.pem" -out "${OUT}/cert.pem" >/dev/null 2>&1

SMTP_USER="alerts-ci"
SMTP_PASS="ci-$(date +%s)-${RANDOM}"
# Pick a free port (the kernel chooses); retry if another process grabs it first.
for _ in 1 2 3 4 5; do
    PORT="$("${VENV}/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "${VENV}/bin/python" scripts/smtp_sink.py 127.0.0.1 "${PORT}" "${OUT}/mail" "${SMTP_USER}" "${SMTP_PASS}" "${OUT}/cert.pem" "${OUT}/key.pem" >"${OUT}/smtp.log" 2>&1 &
    SMTP_PID=$!
    for _ in $(seq 1 50); do
        if grep -q "listening" "${OUT}/smtp.log" 2>/dev/null; then break; fi
        if ! kill -0 "${SMTP_PID}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if kill -0 "${SMTP_PID}" 2>/dev/null && grep -q "listening" "${OUT}/smtp.log"; then break; fi
    SMTP_PID=""
done
if [[ -z "${SMTP_PID}" ]]; then
    echo "ci-alerts: could not start aiosmtpd" >&2
    cat "${OUT}/smtp.log" >&2 || true
    exit 1
fi

export STREAMPARK_IT_SMTP="127.0.0.1:${PORT}"
export STREAMPARK_IT_SMTP_OUT="${OUT}/mail"
export STREAMPARK_IT_SMTP_USER="${SMTP_USER}"
export STREAMPARK_IT_SMTP_PASSWORD="${SMTP_PASS}"
export STREAMPARK_IT_SMTP_STARTTLS=1
cargo test -p streampark-alerts --all-features
