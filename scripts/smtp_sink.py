#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for the alert email integration test.

Usage: smtp_sink.py HOST PORT OUTDIR [USER PASSWORD [CERT KEY [smtps]]]

Every message received is parsed with Python's own `email` package and written to OUTDIR as
one JSON file (envelope sender and recipients, Subject/From/To headers, the text/plain and
text/html parts decoded, the login used and whether the session ran under STARTTLS), so the
Rust test can read it back without parsing MIME itself. With USER and PASSWORD, AUTH
(PLAIN/LOGIN) is required and checked. With CERT and KEY (PEM), STARTTLS is offered; with
`smtps` as well, the server speaks TLS from the first byte (implicit TLS) instead.
"""
import email
import email.policy
import json
import os
import signal
import ssl
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class JsonDir:
    def __init__(self, outdir, implicit):
        self.outdir = outdir
        self.implicit = implicit

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text = html = None
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype == "text/plain" and text is None:
                text = part.get_content()
            elif ctype == "text/html" and html is None:
                html = part.get_content()
        auth = session.auth_data
        if isinstance(auth, LoginPassword):
            auth = auth.login
        if isinstance(auth, bytes):
            auth = auth.decode()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "content_type": msg.get_content_type(),
            "text": text,
            "html": html,
            "auth_user": auth,
            "tls": self.implicit or session.ssl is not None,
            "implicit_tls": self.implicit,
        }
        name = uuid.uuid4().hex
        tmp = os.path.join(self.outdir, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.outdir, name + ".json"))
        return "250 Message accepted for delivery"


def main():
    host, port, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    user = sys.argv[4] if len(sys.argv) > 4 else None
    password = sys.argv[5] if len(sys.argv) > 5 else None
    cert = sys.argv[6] if len(sys.argv) > 6 else None
    key = sys.argv[7] if len(sys.argv) > 7 else None
    implicit = len(sys.argv) > 8 and sys.argv[8] == "smtps"
    os.makedirs(outdir, exist_ok=True)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    kwargs = {}
    if user is not None:
        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if implicit:
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
    controller = Controller(JsonDir(outdir, implicit), hostname=host, port=port, **kwargs)
    controller.start()
    print(f"smtp sink listening on {host}:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
