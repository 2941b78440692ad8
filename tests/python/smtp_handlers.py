"""aiosmtpd handlers for the tests.

RefusingMailbox: the Maildir handler, except that it refuses (550, a
permanent failure) every recipient listed, one per line, in the file
`refused` beside the Maildir; the tests write and remove that file.
"""
from pathlib import Path

from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    def __init__(self, mail_dir, message_class=None):
        super().__init__(mail_dir, message_class)
        self.refused = Path(mail_dir).parent / "refused"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            refused = {line.strip().lower() for line in self.refused.read_text().splitlines()}
        except FileNotFoundError:
            refused = set()
        if address.lower() in refused:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"
