"""What a per-department shard of the model would hold: for each department, the pair rows of
window `all` that touch one of its people (a person's dyads, mirror and manager candidates read
exactly those), against the whole window. Usage:

    python bench/scale/shards.py WORKSPACE PEOPLE_CSV [BYTES_PER_PAIR]

WORKSPACE is an analyzed orgmirror workspace (its newest pairs table is read, columns window, a,
b only); PEOPLE_CSV the people file it was ingested from (id, department). Rows are numbered by
the people table's order, which is the file's order. BYTES_PER_PAIR (measured: the model's peak
over window all divided by its pair rows, see docs/SCALE.md) turns rows into memory.
"""
import csv
import glob
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ws, people_csv = sys.argv[1], sys.argv[2]
per_pair = float(sys.argv[3]) if len(sys.argv) > 3 else None

runs = sorted(glob.glob(f"{ws}/tables/run-*/pairs.parquet"))
if not runs:
    sys.exit(f"{ws}: no pairs table (run orgmirror analyze first)")
departments = [row["department"] or "" for row in csv.DictReader(open(people_csv))]
names = sorted(set(departments))
index = {d: i for i, d in enumerate(names)}
dept = pa.array([index[d] for d in departments], type=pa.int32())
size = [0] * len(names)
for d in departments:
    size[index[d]] += 1

rows = within = 0
touching = [0] * len(names)
pf = pq.ParquetFile(runs[-1])
for i in range(pf.num_row_groups):
    t = pf.read_row_group(i, columns=["window", "a", "b"])
    t = t.filter(pc.equal(t["window"], "all"))
    if t.num_rows == 0:
        continue
    da = pc.take(dept, t["a"])
    db = pc.take(dept, t["b"])
    same = pc.equal(da, db)
    rows += t.num_rows
    within += pc.sum(same).as_py() or 0
    # A row touches a's department and b's (once when they are the same).
    for col in (da, pc.filter(db, pc.invert(same))):
        for item in pc.value_counts(col).to_pylist():
            touching[item["values"]] += item["counts"]

largest = max(range(len(names)), key=lambda i: touching[i])
median = sorted(touching)[len(touching) // 2]
print(f"people {len(departments):,}; departments {len(names)}; pair rows in window all {rows:,}")
print(f"pair rows within one department: {within:,} ({within / rows:.1%})")
print(f"rows held over all shards: {sum(touching):,} ({sum(touching) / rows:.2f}x the window)")
print(
    f"largest shard: {size[largest]:,} people, {touching[largest]:,} rows "
    f"({touching[largest] / rows:.1%} of the window); median shard {median:,} rows"
)
if per_pair:
    gb = lambda r: r * per_pair / 1e9
    print(
        f"at {per_pair:.0f} bytes per pair row: whole window {gb(rows):.1f} GB, "
        f"largest shard {gb(touching[largest]):.2f} GB"
    )
