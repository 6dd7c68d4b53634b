"""Independent counts of the mail fixtures, with Python's own `mailbox` and `email` packages.

For every Maildir folder and mbox file under ../shared/data/formats/{maildir,mbox}: messages,
addresses in To, Cc and Bcc (as `email.utils.getaddresses` reads them), messages with a
Message-ID, messages that answer another (an In-Reply-To or References id), messages with a
List-Id, and messages with a Date that parses. Run from the repository root:

    python3 crates/connectors/tests/reference/mail_reference.py ../shared/data/formats \
        > crates/connectors/tests/reference/mail_counts.json
"""
import email.parser
import email.policy
import email.utils
import json
import mailbox
import os
import sys


def count(messages):
    c = {"messages": 0, "to": 0, "cc": 0, "bcc": 0, "message_id": 0, "replies": 0, "list_id": 0, "dated": 0}
    for m in messages:
        c["messages"] += 1
        for h in ("to", "cc", "bcc"):
            values = [str(v) for v in (m.get_all(h) or [])]
            c[h] += len([a for _, a in email.utils.getaddresses(values) if a])
        if m.get("Message-ID"):
            c["message_id"] += 1
        if m.get("In-Reply-To") or m.get("References"):
            c["replies"] += 1
        if m.get("List-Id"):
            c["list_id"] += 1
        d = m.get("Date")
        if d:
            try:
                if email.utils.parsedate_to_datetime(str(d)) is not None:
                    c["dated"] += 1
            except (TypeError, ValueError, IndexError):
                pass
    return c


def maildir_messages(root):
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("tmp", ".notmuch", ".git"))
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            with open(os.path.join(dirpath, f), "rb") as fh:
                yield parser.parse(fh)


def mbox_messages(path):
    # mailbox.mbox finds the messages (its own separator rule); the header parser reads each one's
    # bytes (get_message would fail on a From line that is not ASCII, as one fixture has).
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    box = mailbox.mbox(path, create=False)
    for key in box.iterkeys():
        data = box.get_bytes(key, from_=False)
        yield parser.parsebytes(data)


def main(formats):
    out = {}
    mdroot = os.path.join(formats, "maildir", "notmuch")
    for name in sorted(os.listdir(mdroot)):
        p = os.path.join(mdroot, name)
        if os.path.isdir(p):
            out["maildir/notmuch/" + name] = count(maildir_messages(p))
    mbroot = os.path.join(formats, "mbox", "grimoirelab-perceval")
    for sub in ("mbox", "pipermail"):
        for f in sorted(os.listdir(os.path.join(mbroot, sub))):
            p = os.path.join(mbroot, sub, f)
            out[f"mbox/grimoirelab-perceval/{sub}/{f}"] = count(mbox_messages(p))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


main(sys.argv[1])
