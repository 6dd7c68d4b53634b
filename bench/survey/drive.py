#!/usr/bin/env python3
"""Respondents answering an orgmirror survey campaign (bench/survey/README.md).

Reads the campaign's links (the CSV of `orgmirror survey invite`: person,link,answered), and for
each of the first N invitees, on one keep-alive connection as a browser would: GET the form (it
sets the om_form cookie and carries the same token in its hidden csrf field), then POST 3-8
colleagues (the `person` column of other rows) with questions and weights and action=submit. An
answer counts only as 200 with "Thank you" in the page; anything else, a refused connection or a
timeout is an error. Prints one JSON line (latencies in ms).

  drive.py --links links.csv --base http://127.0.0.1:PORT [--respondents 500] [--clients 50]
           [--spread 60] [--questions advice,trust] [--seed 1]

--spread 0: every client starts at once and takes the next respondent as soon as it is done (a
burst: as fast as the server answers). --spread S: respondent i starts S*i/N seconds after the
start (arrivals spread evenly over S seconds, still at most --clients at a time); how late each
start was against its schedule is reported too, so a server that falls behind shows.

Python 3.11 standard library only.
"""

import argparse
import csv
import http.client
import json
import math
import random
import re
import sys
import threading
import time
import urllib.parse

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def colleagues(rng, me, people, questions, weighted):
    n = rng.randint(3, 8)
    named = []
    while len(named) < n:
        p = rng.choice(people)
        if p == me or any(p == x[0] for x in named):
            continue
        q = questions[len(named) % len(questions)]
        w = rng.randint(1, 4) if q in weighted else 1
        named.append((p, q, w))
    return named


def respond(host, port, token, named, timeout):
    """One respondent: (form ms, answer ms) or raises with what went wrong."""
    path = "/s/" + token
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        page = r.read().decode("utf-8", "replace")
        form_ms = (time.perf_counter() - t) * 1e3
        if r.status != 200:
            raise RuntimeError(f"form: status {r.status}: {page[:200]}")
        cookie = None
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("om_form="):
                cookie = v.split(";", 1)[0][len("om_form="):]
        m = CSRF.search(page)
        if cookie is None or m is None or m.group(1) != cookie:
            raise RuntimeError(f"form: cookie {cookie!r} and csrf field {m and m.group(1)!r}")
        fields = [("csrf", cookie)]
        for p, q, w in named:
            fields += [("a", p), ("q", q), ("w", str(w))]
        fields.append(("action", "submit"))
        body = urllib.parse.urlencode(fields)
        t = time.perf_counter()
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "om_form=" + cookie,
            },
        )
        r = conn.getresponse()
        page = r.read().decode("utf-8", "replace")
        answer_ms = (time.perf_counter() - t) * 1e3
        if r.status != 200 or "Thank you" not in page:
            raise RuntimeError(f"answer: status {r.status}: {page[:200]}")
        return form_ms, answer_ms
    finally:
        conn.close()


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    i = min(len(v), max(1, math.ceil(p * len(v))))  # nearest rank
    return round(v[i - 1], 1)


def summary(values):
    return {
        "n": len(values),
        "p50": pct(values, 0.50),
        "p90": pct(values, 0.90),
        "p95": pct(values, 0.95),
        "p99": pct(values, 0.99),
        "max": round(max(values), 1) if values else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--links", required=True)
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT (the links' own host is ignored)")
    ap.add_argument("--respondents", type=int, default=500)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--spread", type=float, default=60.0)
    ap.add_argument("--questions", default="advice,trust")
    ap.add_argument("--weighted", default="advice,information", help="questions asked with how often (1-4)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()

    with open(a.links, newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) < a.respondents:
        sys.exit(f"drive.py: {len(rows)} invitees, fewer than {a.respondents} respondents")
    people = [r["person"] for r in rows]
    tokens = [r["link"].rsplit("/", 1)[1] for r in rows]
    questions = a.questions.split(",")
    weighted = set(a.weighted.split(","))
    rng = random.Random(a.seed)
    plans = [colleagues(rng, people[i], people, questions, weighted) for i in range(a.respondents)]
    u = urllib.parse.urlsplit(a.base)

    lock = threading.Lock()
    nxt = [0]
    form, answer, whole, late, errors = [], [], [], [], []
    start_gate = threading.Barrier(a.clients + 1)
    t0 = [0.0]

    def client():
        start_gate.wait()
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= a.respondents:
                return
            due = t0[0] + a.spread * i / a.respondents
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            started = time.perf_counter()
            try:
                f_ms, a_ms = respond(u.hostname, u.port, tokens[i], plans[i], a.timeout)
                done = time.perf_counter()
                with lock:
                    form.append(f_ms)
                    answer.append(a_ms)
                    whole.append((done - started) * 1e3)
                    late.append(max(0.0, (started - due) * 1e3))
            except Exception as e:  # noqa: BLE001 - every failure is an error to count
                with lock:
                    errors.append(f"respondent {i} ({people[i]}): {type(e).__name__}: {e}")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(a.clients)]
    for t in threads:
        t.start()
    t0[0] = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0[0]

    out = {
        "respondents": a.respondents,
        "clients": a.clients,
        "spread_s": a.spread,
        "named": sum(len(p) for p in plans),
        "answered": len(answer),
        "errors": len(errors),
        "first_errors": errors[:5],
        "wall_s": round(wall, 2),
        "form_ms": summary(form),
        "answer_ms": summary(answer),
        "respondent_ms": summary(whole),
        "start_late_ms": summary(late),
    }
    print(json.dumps(out))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
