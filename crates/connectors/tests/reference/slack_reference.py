"""Independent counts of the Slack fixtures (json module only), for crates/connectors/tests/chat.rs.

Run from the repository root:
    python3 crates/connectors/tests/reference/slack_reference.py > crates/connectors/tests/reference/slack_reference.json

Definitions follow crates/connectors/src/chat.rs's documentation, written again from the export
format, not from the Rust code: a message is kept unless it is from a bot or is an event
(subtype other than file_share, me_message, thread_broadcast); mentions are <@U...> tokens of
kept messages naming someone other than the sender; reactions are distinct (message, reacting
user) pairs of kept messages, the author left out.
"""
import collections
import json
import os
import re
import sys

DATA = "/work/shared/data/formats/slack"
FIXTURES = {
    "houstondatavis": os.path.join(DATA, "houstondatavis-slack-export"),
    "slackdump_dir": os.path.join(DATA, "slackdump", "source_export_dir"),
    "slackdump_export": os.path.join(DATA, "slackdump", "export"),
}
MESSAGE_SUBTYPES = {None, "file_share", "me_message", "thread_broadcast"}
MENTION = re.compile(r"<@([A-Za-z0-9]+)(?:\|[^>]*)?>")


def load(root, name):
    path = os.path.join(root, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def count(root):
    users = {u["id"]: u for u in load(root, "users.json")}
    bots = {i for i, u in users.items() if u.get("is_bot") or i == "USLACKBOT"}
    folders = {}
    for name, kind in (("channels.json", "channel"), ("groups.json", "channel"),
                       ("mpims.json", "direct")):
        for c in load(root, name):
            folders[c.get("name") or c["id"]] = (kind, c.get("members") or [])
    for c in load(root, "dms.json"):
        folders[c["id"]] = ("direct", c.get("members") or [])
    out = collections.Counter()
    by_subtype = collections.Counter()
    for folder in sorted(os.listdir(root)):
        path = os.path.join(root, folder)
        if not os.path.isdir(path):
            continue
        kind, members = folders.get(folder, ("channel", []))
        listed = bool(members)
        members = list(members)
        for day in sorted(os.listdir(path)):
            if not day.endswith(".json"):
                continue
            with open(os.path.join(path, day), encoding="utf-8") as f:
                messages = json.load(f)
            for m in messages:
                out["messages"] += 1
                subtype = m.get("subtype")
                by_subtype[subtype or "(none)"] += 1
                user = m.get("user")
                if not listed and user:
                    # No member list (archived channel): members are those seen joining or posting so far.
                    if subtype in ("channel_leave", "group_leave"):
                        members = [u for u in members if u != user]
                    elif (subtype is None or subtype.endswith("_join") or subtype == "file_share") \
                            and user not in members:
                        members.append(user)
                if subtype == "bot_message" or (subtype or "").startswith("bot_") \
                        or m.get("bot_id") or user in bots:
                    out["skipped_bot"] += 1
                    continue
                if subtype not in MESSAGE_SUBTYPES:
                    if subtype in ("tombstone", "message_deleted"):
                        out["skipped_deleted"] += 1
                    elif subtype == "file_comment":
                        out["skipped_file_comment"] += 1
                    else:
                        out["skipped_channel_event"] += 1
                    continue
                if not user:
                    out["skipped_no_user"] += 1
                    continue
                is_reply = m.get("thread_ts") not in (None, m["ts"])
                if m.get("thread_ts") == m["ts"]:
                    out["thread_parents"] += 1
                mentioned = []
                for u in MENTION.findall(m.get("text") or ""):
                    if u != user and u not in bots and u not in mentioned:
                        mentioned.append(u)
                out["mentions"] += len(mentioned)
                reactors = set()
                for r in m.get("reactions") or []:
                    for u in r.get("users") or []:
                        if u != user and u not in bots:
                            reactors.add(u)
                out["reactions"] += len(reactors)
                if is_reply:
                    out["thread_replies"] += 1
                elif kind == "direct":
                    out["direct_messages"] += 1
                else:
                    others = [u for u in members if u != user and u not in bots and u not in mentioned]
                    if others:
                        out["broadcasts"] += 1
                    elif not mentioned:
                        out["skipped_no_recipients"] += 1
    return {
        "users": len(users),
        "channels": len(load(root, "channels.json")),
        "dms": len(load(root, "dms.json")),
        "mpims": len(load(root, "mpims.json")),
        "groups": len(load(root, "groups.json")),
        "counts": {k: v for k, v in sorted(out.items()) if v},
        "by_subtype": dict(sorted(by_subtype.items())),
    }


json.dump({name: count(root) for name, root in FIXTURES.items()}, sys.stdout, indent=1, sort_keys=True)
print()
