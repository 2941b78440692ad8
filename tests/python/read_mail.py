"""An independent reader of e-mails: parses each RFC 5322 file given (an .eml
file or a Maildir message) with Python's email package and prints a JSON list
with, per mail, its From, To, Subject, Message-ID, top-level content type and
each text part's content type and decoded body. Exits 1 on a defect.
"""

import json
import sys
from email import policy
from email.parser import BytesParser


def read(path):
    with open(path, "rb") as f:
        message = BytesParser(policy=policy.default).parse(f)
    if message.defects:
        raise SystemExit(f"{path}: defects {message.defects}")
    parts = [
        {"type": part.get_content_type(), "body": part.get_content()}
        for part in message.walk()
        if part.get_content_maintype() == "text"
    ]
    return {
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "content_type": message.get_content_type(),
        "parts": parts,
    }


if __name__ == "__main__":
    print(json.dumps([read(path) for path in sys.argv[1:]]))
