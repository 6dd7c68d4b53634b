"""The Python yardstick for the mail benchmark: every message of an mbox read with the standard
library's `mailbox` (its separator scan) and `email.parser.BytesHeaderParser` (headers only),
with the same headers orgmirror reads taken out of each (From, To, Cc, Bcc, Date, Message-ID,
In-Reply-To, References, List-Id) and the addresses parsed by `email.utils.getaddresses`.

    python3 bench/mail_headers.py FILE.mbox
"""
import email.parser
import email.policy
import email.utils
import mailbox
import sys

parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
box = mailbox.mbox(sys.argv[1], create=False)
messages = addresses = 0
for key in box.iterkeys():
    m = parser.parsebytes(box.get_bytes(key, from_=False))
    messages += 1
    for h in ("from", "to", "cc", "bcc"):
        addresses += len(email.utils.getaddresses([str(v) for v in (m.get_all(h) or [])]))
    for h in ("date", "message-id", "in-reply-to", "references", "list-id"):
        m.get(h)
print(messages, addresses)
