"""aiosmtpd handler for `hrms-bench slo`: takes every message and appends
one JSON line per message to the file given as its argument, once the
message is accepted: its Message-ID, recipients and arrival time (Unix
seconds). Lines are appended and flushed one by one, so a restarted server
keeps adding to the same record.

    python -m aiosmtpd -n -l 127.0.0.1:2525 -c slo_smtp.Recorder arrivals.jsonl
"""
import json
import time
from email.parser import BytesHeaderParser


class Recorder:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")
        self.parser = BytesHeaderParser()

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("slo_smtp.Recorder takes the file to append to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        headers = self.parser.parsebytes(envelope.original_content or b"")
        line = {
            "message_id": (headers.get("Message-ID") or "").strip().strip("<>"),
            "rcpt": envelope.rcpt_tos,
            "at": time.time(),
        }
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()
        return "250 OK"
