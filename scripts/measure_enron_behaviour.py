#!/usr/bin/env python3
"""Behaviour statistics of e-mail metadata between senior and junior people.

Measures on the Enron e-mail set (../shared/data/enron-igraphdata) what the synthetic generator's
metadata-only mode (`orgmirror generate --metadata-only`) is matched to, and measures a generated
organization's events.csv with the same logic so that the two can be put side by side.

    python3 scripts/measure_enron_behaviour.py                 # Enron, JSON on stdout
    python3 scripts/measure_enron_behaviour.py --out crates/synth/src/enron_behaviour.json
    python3 scripts/measure_enron_behaviour.py --generated DIR # DIR/people.csv, DIR/events.csv
                                                               # next to the stored Enron values

Standard library only. Definitions (the same for both sources):

- Tiers. Enron: `Note` (position) before the first comma; CEO, President, Vice President and
  Managing Director are senior; Director, Manager, Employee, Trader and In House Lawyer are
  junior; NA is unknown. Generated: the title; "Chief Executive Officer" and "VP ..." are senior
  (the same ranks), everyone else is junior.
- Messages. Enron: rows sharing (sender, Time) are one message; self-loops, bcc rows (exact copies
  of cc rows), times before 1998 and duplicate (message, recipient) rows are dropped; a recipient
  that is both to and cc counts as to. Generated: one event_id is one message; mail and chat rows
  are messages, except accept/decline answers to meeting invitations (calendar traffic).
- A row is one (message, recipient). Its direction: up (junior -> senior), down (senior -> junior),
  senior_peer, junior_peer, or unknown when either side has no tier.
- Reply: a row a -> b at time t is answered when b sends a message to a at t' with
  t < t' <= t + 7 days; the first such message gives the latency t' - t. Every a -> b row looks
  forward on its own, so several rows can be answered by one message (as in a mailbox, without
  threads). Reply rate = answered rows / rows; latency quartiles over answered rows, in hours.
  Grouped by the direction of the row that is answered (so "down" is a junior answering a senior).
- up_share: of the rows between a senior and a junior, the share that go up.
- cc_share: of the rows, the share whose recipient is in Cc.
- recipients per message: distinct recipients (to + cc) inside the data set.
"""

import argparse
import bisect
import csv
import json
import os
import sys
from collections import defaultdict
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_ENRON = os.path.join(ROOT, "..", "shared", "data", "enron-igraphdata")
STORED = os.path.join(ROOT, "crates", "synth", "src", "enron_behaviour.json")

SENIOR = {"CEO", "President", "Vice President", "Managing Director"}
JUNIOR = {"Director", "Manager", "Employee", "Trader", "In House Lawyer"}
REPLY_WINDOW_S = 7 * 86400
DIRECTIONS = ["up", "down", "senior_peer", "junior_peer"]


def enron_tier(note):
    head = note.split(",")[0].strip()
    if head in SENIOR:
        return "senior"
    if head in JUNIOR:
        return "junior"
    return None


def generated_tier(title):
    if title == "Chief Executive Officer" or title.startswith("VP "):
        return "senior"
    return "junior"


def direction(tier_a, tier_b):
    if tier_a is None or tier_b is None:
        return "unknown"
    if tier_a == tier_b:
        return tier_a + "_peer"
    return "up" if tier_a == "junior" else "down"


def load_enron(folder):
    """Messages as {key: (sender, time_s, {recipient: 'to'|'cc'})} and tiers by person."""
    tiers = {}
    with open(os.path.join(folder, "people.csv"), newline="") as f:
        for row in csv.DictReader(f):
            tiers[row["vid"]] = enron_tier(row["Note"])
    messages = {}
    floor = datetime(1998, 1, 1)
    with open(os.path.join(folder, "emails.csv"), newline="") as f:
        for row in csv.DictReader(f):
            a, b, kind = row["from_vid"], row["to_vid"], row["Reciptype"]
            if a == b or kind == "bcc":
                continue
            when = datetime.strptime(row["Time"], "%Y-%m-%d %H:%M:%S")
            if when < floor:
                continue
            # Zone-less times: read as UTC, only differences matter here.
            t = int((when - datetime(1970, 1, 1)).total_seconds())
            key = (a, t)
            msg = messages.setdefault(key, (a, t, {}))
            if msg[2].get(b) != "to":
                msg[2][b] = kind
    return list(messages.values()), tiers


def load_generated(folder):
    tiers = {}
    with open(os.path.join(folder, "people.csv"), newline="") as f:
        for row in csv.DictReader(f):
            tiers[row["id"]] = generated_tier(row["title"])
    messages = {}
    invitations = set()
    with open(os.path.join(folder, "events.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["channel"] == "meeting":
                invitations.add(row["event_id"])
                continue
            if row["channel"] not in ("email", "chat"):
                continue
            # Answers to invitations are calendar traffic (answers to requests are messages).
            if row["kind"] in ("accept", "decline") and row["in_reply_to"] in invitations:
                continue
            a, b = row["actor"], row["recipient"]
            if a == b:
                continue
            when = datetime.strptime(row["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
            t = int((when - datetime(1970, 1, 1)).total_seconds())
            msg = messages.setdefault(row["event_id"], (a, t, {}))
            role = "to" if row["role"] == "to" else "cc"
            if msg[2].get(b) != "to":
                msg[2][b] = role
    return list(messages.values()), tiers


def quartiles(values):
    if not values:
        return None
    v = sorted(values)

    def q(p):
        # Linear interpolation between closest ranks (numpy's default).
        x = p * (len(v) - 1)
        lo = int(x)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (x - lo)

    return {"q1": q(0.25), "median": q(0.5), "q3": q(0.75), "p90": q(0.9)}


def rounded(x, digits=4):
    if isinstance(x, float):
        return round(x, digits)
    if isinstance(x, dict):
        return {k: rounded(v, digits) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v, digits) for v in x]
    return x


def measure(messages, tiers):
    rows = []  # (a, b, t, role)
    sent = defaultdict(list)  # (a, b) -> times
    recipients = []
    for a, t, rec in messages:
        recipients.append(len(rec))
        for b, role in rec.items():
            rows.append((a, b, t, role))
            sent[(a, b)].append(t)
    for times in sent.values():
        times.sort()
    groups = ["all"] + DIRECTIONS
    n_rows = defaultdict(int)
    n_cc = defaultdict(int)
    n_answered = defaultdict(int)
    n_role = defaultdict(int)
    n_role_answered = defaultdict(int)
    latencies = defaultdict(list)
    for a, b, t, role in rows:
        d = direction(tiers.get(a), tiers.get(b))
        back = sent.get((b, a), [])
        i = bisect.bisect_right(back, t)
        answered = i < len(back) and back[i] - t <= REPLY_WINDOW_S
        n_role[role] += 1
        for g in ("all", d):
            n_rows[g] += 1
            n_cc[g] += role == "cc"
            if answered:
                n_answered[g] += 1
                latencies[g].append((back[i] - t) / 3600.0)
        if answered:
            n_role_answered[role] += 1
    between = n_rows["up"] + n_rows["down"]
    out = {
        "messages": len(messages),
        "rows": len(rows),
        "rows_by_direction": {g: n_rows[g] for g in groups[1:] + ["unknown"]},
        "up_share": n_rows["up"] / between if between else None,
        "cc_share": {g: (n_cc[g] / n_rows[g] if n_rows[g] else None) for g in groups},
        "reply_rate": {g: (n_answered[g] / n_rows[g] if n_rows[g] else None) for g in groups},
        "reply_rate_by_role": {
            r: (n_role_answered[r] / n_role[r] if n_role[r] else None) for r in ("to", "cc")
        },
        "reply_latency_h": {g: quartiles(latencies[g]) for g in groups},
        "replies": {g: n_answered[g] for g in groups},
        "recipients_per_message": dict(
            quartiles(recipients),
            mean=sum(recipients) / len(recipients),
            share_one=sum(1 for r in recipients if r == 1) / len(recipients),
            share_over_5=sum(1 for r in recipients if r > 5) / len(recipients),
        ),
    }
    return rounded(out)


def side_by_side(enron, gen):
    lines = [f"{'statistic':<34} {'Enron':>10} {'generated':>10}"]

    def row(name, x, y):
        fx = "-" if x is None else f"{x:.3f}"
        fy = "-" if y is None else f"{y:.3f}"
        lines.append(f"{name:<34} {fx:>10} {fy:>10}")

    row("up_share", enron["up_share"], gen["up_share"])
    for g in ["all"] + DIRECTIONS:
        row(f"reply_rate.{g}", enron["reply_rate"][g], gen["reply_rate"][g])
    for r in ("to", "cc"):
        row(f"reply_rate_by_role.{r}", enron["reply_rate_by_role"][r], gen["reply_rate_by_role"][r])
    for g in ["all"] + DIRECTIONS:
        for q in ("q1", "median", "q3"):
            e = (enron["reply_latency_h"][g] or {}).get(q)
            s = (gen["reply_latency_h"][g] or {}).get(q)
            row(f"reply_latency_h.{g}.{q}", e, s)
    for g in ["all"] + DIRECTIONS:
        row(f"cc_share.{g}", enron["cc_share"][g], gen["cc_share"][g])
    for q in ("mean", "q1", "median", "q3", "p90", "share_one", "share_over_5"):
        row(
            f"recipients_per_message.{q}",
            enron["recipients_per_message"][q],
            gen["recipients_per_message"][q],
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enron", default=DEFAULT_ENRON, help="the enron-igraphdata folder")
    parser.add_argument("--generated", help="a generated folder (people.csv, events.csv)")
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    args = parser.parse_args()
    if args.generated:
        messages, tiers = load_generated(args.generated)
        result = measure(messages, tiers)
        result["source"] = "generated: " + os.path.abspath(args.generated)
        with open(STORED) as f:
            enron = json.load(f)
        print(side_by_side(enron, result))
    else:
        messages, tiers = load_enron(args.enron)
        result = measure(messages, tiers)
        result = {
            "source": "enron-igraphdata (igraph/igraphdata @ 289b9c7b, data/enron.rda)",
            "script": "scripts/measure_enron_behaviour.py",
            "tiers": {"senior": sorted(SENIOR), "junior": sorted(JUNIOR)},
            "reply_window_days": REPLY_WINDOW_S // 86400,
            **result,
        }
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    elif not args.generated:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
