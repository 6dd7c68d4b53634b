"""Times orgmirror (init + ingest people + ingest events + aggregate, release binary) and DuckDB
(the same pair aggregation as SQL over the same events.parquet) on the S, M and L synthetic
organizations, in the same run on the same machine, and prints the ratio. Writes JSON next to the
generated data in bench/out/."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = ROOT / "target" / "release" / "orgmirror"
SIZES = {
    "S": dict(people=1_000, days=120, events=1_000_000),
    "M": dict(people=10_000, days=120, events=10_000_000),
    "L": dict(people=100_000, days=120, events=100_000_000),
}

KINDS = ["message", "request", "reply", "fyi", "decline", "accept", "introduction", "feedback_given",
         "feedback_asked", "praise", "decision", "meeting", "tie"]
CHANNELS = ["email", "chat", "meeting", "call", "ticket", "review", "collaboration", "other"]
ROLES = ["to", "cc", "bcc", "attendee", "organizer"]


def timed(cmd, **kw):
    """Runs a command under /usr/bin/time; returns (seconds, peak RSS in MiB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stderr}")
    rss_kib = int(proc.stderr.strip().splitlines()[-1])
    return elapsed, rss_kib / 1024, proc.stdout


def duckdb_sql(events, out_dir):
    kind_cols = ",\n    ".join(f"count(*) FILTER (WHERE kind = '{k}') AS n_{k}" for k in KINDS)
    channel_cols = ",\n    ".join(f"count(*) FILTER (WHERE channel = '{c}') AS ch_{c}" for c in CHANNELS)
    role_cols = ",\n    ".join(f"count(*) FILTER (WHERE role = '{r}') AS n_{r}" for r in ROLES)
    return f"""
SET TimeZone = 'UTC';
SET threads = 2;
CREATE TEMP VIEW rows AS SELECT *, strftime(time, '%Y-%m') AS month FROM read_parquet('{events}');
CREATE TEMP VIEW win AS
  SELECT 'all' AS win, * FROM rows WHERE actor <> recipient
  UNION ALL SELECT month AS win, * FROM rows WHERE actor <> recipient;
CREATE TEMP VIEW pairs AS SELECT win, actor AS a, recipient AS b,
    count(*) AS n,
    count(*) FILTER (WHERE channel <> 'meeting' AND kind <> 'meeting') AS w_communication,
    count(*) FILTER (WHERE kind = 'request' AND role = 'to') AS w_requests,
    count(*) FILTER (WHERE kind = 'introduction') AS w_introductions,
    count(*) FILTER (WHERE kind IN ('feedback_given', 'feedback_asked')) AS w_feedback,
    {kind_cols},
    {channel_cols},
    {role_cols},
    min(time) AS first_time, max(time) AS last_time
  FROM win GROUP BY ALL;
CREATE TEMP VIEW meeting_people AS
  SELECT DISTINCT event_id, time, month, actor AS p, max(duration_s) OVER (PARTITION BY event_id) AS d
    FROM rows WHERE channel = 'meeting' OR kind = 'meeting'
  UNION
  SELECT DISTINCT event_id, time, month, recipient AS p, max(duration_s) OVER (PARTITION BY event_id) AS d
    FROM rows WHERE channel = 'meeting' OR kind = 'meeting';
CREATE TEMP VIEW meeting_size AS SELECT event_id, count(*) AS k FROM meeting_people GROUP BY 1;
CREATE TEMP VIEW meeting_pairs AS
  SELECT x.month, x.p AS a, y.p AS b, 1.0 / (s.k - 1) AS w, x.d AS d
  FROM meeting_people x JOIN meeting_people y USING (event_id) JOIN meeting_size s USING (event_id)
  WHERE x.p <> y.p AND s.k <= 50;
CREATE TEMP VIEW meetings AS SELECT win, a, b, sum(w) AS w_meetings, sum(d) AS meeting_s FROM (
    SELECT 'all' AS win, * FROM meeting_pairs UNION ALL SELECT month AS win, * FROM meeting_pairs)
  GROUP BY ALL;
CREATE TEMP VIEW asked AS SELECT DISTINCT event_id, actor, time, kind FROM rows;
CREATE TEMP VIEW replies AS
  SELECT r.actor AS responder, r.recipient AS requester, q.time AS asked_time, r.time AS answer_time,
         (epoch_ms(r.time) - epoch_ms(q.time)) / 1000.0 AS latency_s, q.kind AS asked_kind,
         r.kind AS answer_kind, r.month
  FROM rows r JOIN asked q ON r.in_reply_to = q.event_id AND q.actor = r.recipient
  WHERE r.actor <> r.recipient AND q.time <= r.time AND r.time - q.time <= INTERVAL 30 DAY;
CREATE TEMP VIEW latency AS SELECT win, responder AS a, requester AS b, count(*) AS n_latency,
    median(latency_s) AS latency_median_s, avg(latency_s) AS latency_mean_s,
    count(*) FILTER (WHERE asked_kind = 'request' AND answer_kind IN ('reply', 'accept')) AS w_help
  FROM (SELECT 'all' AS win, * FROM replies UNION ALL SELECT month AS win, * FROM replies) GROUP BY ALL;
CREATE TEMP VIEW ignored AS
  SELECT win, q.recipient AS a, q.actor AS b, count(*) AS n_ignored FROM (
      SELECT 'all' AS win, * FROM rows UNION ALL SELECT month AS win, * FROM rows) q
  WHERE q.kind = 'request' AND q.role = 'to' AND q.actor <> q.recipient
    AND q.time < (SELECT max(time) FROM rows) - INTERVAL 30 DAY
    AND NOT EXISTS (SELECT 1 FROM rows r WHERE r.in_reply_to = q.event_id AND r.actor = q.recipient
                    AND r.time >= q.time AND r.time - q.time <= INTERVAL 30 DAY)
  GROUP BY ALL;
COPY (SELECT * FROM replies) TO '{out_dir}/duck_latencies.parquet' (FORMAT parquet);
COPY (
  SELECT * FROM pairs FULL JOIN meetings USING (win, a, b) FULL JOIN ignored USING (win, a, b)
    LEFT JOIN latency USING (win, a, b)
) TO '{out_dir}/duck_pairs.parquet' (FORMAT parquet);
"""


def run_size(name, cfg, versions):
    data = OUT / name
    events = data / "events.parquet"
    stamp = data / "config.json"
    if not (stamp.exists() and json.loads(stamp.read_text()) == cfg and events.exists()):
        data.mkdir(parents=True, exist_ok=True)
        print(f"[{name}] generating {cfg}", flush=True)
        gen_s, _, _ = timed([BIN, "generate", "--people", str(cfg["people"]), "--days", str(cfg["days"]),
                             "--events", str(cfg["events"]), "--seed", "1", "--out", data, "-q"])
        print(f"[{name}] generated in {gen_s:.1f} s", flush=True)
        stamp.write_text(json.dumps(cfg))
    ws = data / "ws"
    subprocess.run(["rm", "-rf", ws], check=True)
    steps = {}
    for step, cmd in [
        ("init", [BIN, "init", ws]),
        ("ingest_people", [BIN, "--workspace", ws, "-q", "ingest", "people", data / "people.csv"]),
        ("ingest_events", [BIN, "--workspace", ws, "-q", "ingest", "events", events]),
        ("aggregate", [BIN, "--workspace", ws, "-q", "aggregate", "--window", "all", "--window", "month"]),
    ]:
        steps[step] = timed(cmd)[:2]
        print(f"[{name}] orgmirror {step}: {steps[step][0]:.2f} s, {steps[step][1]:.0f} MiB", flush=True)
    om_s = sum(s for s, _ in steps.values())
    om_mib = max(m for _, m in steps.values())
    sql = data / "duck.sql"
    sql.write_text(duckdb_sql(events, data))
    script = f"import duckdb; duckdb.connect().execute(open({str(sql)!r}).read())"
    duck_s, duck_mib, _ = timed([sys.executable, "-c", script])
    print(f"[{name}] duckdb: {duck_s:.2f} s, {duck_mib:.0f} MiB", flush=True)
    # The two agree on what they counted.
    import duckdb
    con = duckdb.connect()
    pairs = next(ws.glob("tables/run-*/pairs.parquet"))
    # Pairs that only carry thread asks (n_ask, n_answered, n_unanswered: the SQL has no asks)
    # are not counted.
    ours = con.execute(f"SELECT count(*) FILTER (WHERE n > 0 OR w_meetings > 0 OR n_ignored > 0), sum(n), round(sum(w_meetings)), sum(n_latency), sum(n_ignored) FROM '{pairs}' WHERE \"window\" = 'all'").fetchone()
    theirs = con.execute(f"SELECT count(*), sum(n), round(sum(w_meetings)), sum(n_latency), sum(n_ignored) FROM '{data}/duck_pairs.parquet' WHERE win = 'all'").fetchone()
    agree = tuple(ours) == tuple(theirs)
    print(f"[{name}] check (pairs, rows, meeting weight, latencies, ignored) orgmirror {ours} duckdb {theirs}: {'same' if agree else 'DIFFERENT'}", flush=True)
    return dict(size=name, config=cfg, orgmirror_s=om_s, orgmirror_peak_mib=om_mib, steps=steps,
                duckdb_s=duck_s, duckdb_peak_mib=duck_mib, speedup=duck_s / om_s, agree=agree,
                ours=list(map(float, ours)), theirs=list(map(float, theirs)), versions=versions)


def main():
    names = [n for arg in sys.argv[1:] for n in arg.split()]
    import duckdb
    versions = dict(duckdb=duckdb.__version__,
                    orgmirror=subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip(),
                    cores=os.cpu_count())
    results = [run_size(n, SIZES[n], versions) for n in names]
    print()
    print(f"{'size':<5}{'orgmirror s':>13}{'MiB':>8}{'duckdb s':>11}{'MiB':>8}{'ratio':>10}  same result")
    for r in results:
        print(f"{r['size']:<5}{r['orgmirror_s']:>13.2f}{r['orgmirror_peak_mib']:>8.0f}{r['duckdb_s']:>11.2f}"
              f"{r['duckdb_peak_mib']:>8.0f}{r['speedup']:>9.2f}x  {r['agree']}")
    print(f"(ratio = duckdb time / orgmirror time; > 1 means orgmirror is faster; duckdb {versions['duckdb']}, {versions['cores']} cores)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"results-{'-'.join(names)}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
