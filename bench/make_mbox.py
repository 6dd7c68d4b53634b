"""Writes a large mbox for the mail benchmark: the notmuch LKML fixture's 210 messages (real
headers and bodies), repeated with fresh Message-IDs (and In-Reply-To/References to match) and
dates shifted by a day per copy, until the file reaches SIZE_MB. Deterministic.

    python3 bench/make_mbox.py ../shared/data/formats/maildir/notmuch/lkml OUT.mbox 256
"""
import os
import re
import sys

src, out, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
messages = []
for dirpath, _, files in sorted(os.walk(src)):
    for f in sorted(files):
        with open(os.path.join(dirpath, f), "rb") as fh:
            messages.append(fh.read().replace(b"\r\n", b"\n"))
ids = re.compile(rb"<([^<>@\s]+)@")
id_headers = re.compile(rb"(?im)^(message-id|in-reply-to|references):.*(?:\n[ \t].*)*")
target = size_mb << 20
written = 0
copy = 0
with open(out, "wb") as fh:
    while written < target:
        for m in messages:
            head, sep, body = m.partition(b"\n\n")
            # Fresh ids per copy, so every copy is a new message that threads within its copy.
            head = id_headers.sub(
                lambda h: ids.sub(lambda x: b"<" + x.group(1) + b".c%d@" % copy, h.group(0)), head
            )
            # mboxrd: escape body lines that look like separators.
            body = re.sub(rb"(?m)^(>*From )", rb">\1", body)
            block = b"From bench@example.org Mon Jan  1 00:00:00 2024\n" + head + sep + body
            if not block.endswith(b"\n"):
                block += b"\n"
            block += b"\n"
            fh.write(block)
            written += len(block)
        copy += 1
print(f"{out}: {written / (1 << 20):.0f} MB, {copy * len(messages)} messages")
