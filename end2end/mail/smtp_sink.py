"""A real SMTP server for tests: receives every message and writes it as a JSON file.

    python smtp_sink.py --host 127.0.0.1 --port P --dir D

Runs aiosmtpd (a maintained SMTP server) on HOST:PORT, accepts every message without authentication, and
for each one writes D/<sequence, 6 digits>-<time in ns>.json atomically (a temporary name, then os.replace),
so a reader never sees a half-written file. Keys:

    from        the From header, decoded
    to          the envelope recipients (RCPT TO), a list
    subject     the Subject header, decoded
    text        the text/plain part, decoded, with \n line ends ("" if none)
    html        the text/html part, decoded, with \n line ends ("" if none)
    message_id  the Message-ID header
    mail_from   the envelope sender (MAIL FROM)
    headers     every header of the message as [name, value] pairs, in order (for header-injection checks)

With --refuse-domain DOMAIN (repeatable) it answers RCPT TO of an address at DOMAIN with a permanent
"550 5.1.1" (no such mailbox), as a real server refuses an unknown recipient.

Prints "listening" (flushed) once it accepts connections, and runs until SIGTERM or SIGINT. The cargo tests
(server/tests/common/smtp.rs) and the Playwright configuration start it with exactly this command line.
"""

import argparse
import email
import json
import os
import signal
import sys
import threading
import time
from email import policy

from aiosmtpd.controller import Controller


class JsonDirHandler:
    """aiosmtpd handler: every message received becomes one JSON file in `directory`."""

    def __init__(self, directory, refused_domains=()):
        self.directory = directory
        self.refused_domains = {d.lower() for d in refused_domains}
        self.sequence = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.rpartition("@")[2].lower() in self.refused_domains:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        record = {
            "from": str(message.get("From", "")),
            "to": list(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
            "text": part_text(message, "plain"),
            "html": part_text(message, "html"),
            "message_id": str(message.get("Message-ID", "")),
            "mail_from": envelope.mail_from,
            "headers": [[name, str(value)] for name, value in message.items()],
        }
        with self.lock:
            self.sequence += 1
            name = f"{self.sequence:06d}-{time.time_ns()}.json"
        temporary = os.path.join(self.directory, f".{name}.tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(record, file, ensure_ascii=False, indent=2)
        os.replace(temporary, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def part_text(message, subtype):
    """The decoded content of the message's text/<subtype> body part, or "" if it has none."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    # Line ends as in a text file (the message carries CRLF on the wire).
    return part.get_content().replace("\r\n", "\n")


def main():
    parser = argparse.ArgumentParser(description="SMTP server that stores each message as JSON (for tests).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True, help="directory for the JSON files (created if missing)")
    parser.add_argument(
        "--refuse-domain",
        action="append",
        default=[],
        help="answer recipients at this domain with 550 (repeatable)",
    )
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    # `original_content` keeps the bytes as received (decode_data=False); SMTPUTF8 lets non-ASCII addresses in.
    controller = Controller(
        JsonDirHandler(args.dir, args.refuse_domain), hostname=args.host, port=args.port, enable_SMTPUTF8=True
    )
    controller.start()
    print("listening", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
