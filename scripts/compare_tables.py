"""Compares two Parquet tables by content, row by row in file order: same columns (names and
types), same number of rows, and every value of every row equal (NaN equal to NaN, nulls equal
to nulls). Used to check that a faster build writes the same pairs, latencies and segments as
an older one (bench/RESULTS.md). Needs duckdb (bench/.venv).

Usage: compare_tables.py OLD.parquet NEW.parquet [--unordered]
  --unordered: compare as multisets of rows (for files whose row order may legitimately differ).
Exit status 0 when equal, 1 when not (the first differences are printed)."""

import sys

import duckdb


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    unordered = "--unordered" in sys.argv
    if len(args) != 2:
        sys.exit(__doc__)
    old, new = args
    con = duckdb.connect()
    schema = lambda p: con.execute(f"DESCRIBE SELECT * FROM read_parquet('{p}')").fetchall()
    s_old, s_new = schema(old), schema(new)
    if [(c[0], c[1]) for c in s_old] != [(c[0], c[1]) for c in s_new]:
        print(f"columns differ:\n  old {s_old}\n  new {s_new}")
        return 1
    n_old = con.execute(f"SELECT count(*) FROM read_parquet('{old}')").fetchone()[0]
    n_new = con.execute(f"SELECT count(*) FROM read_parquet('{new}')").fetchone()[0]
    if n_old != n_new:
        print(f"rows differ: old {n_old}, new {n_new}")
        return 1
    rn = "" if unordered else ", file_row_number := true"
    src = lambda p: f"read_parquet('{p}'{rn})"
    diffs = 0
    for a, b, label in [(old, new, "only in old"), (new, old, "only in new")]:
        rows = con.execute(f"SELECT * FROM {src(a)} EXCEPT ALL SELECT * FROM {src(b)} LIMIT 5").fetchall()
        count = con.execute(
            f"SELECT count(*) FROM (SELECT * FROM {src(a)} EXCEPT ALL SELECT * FROM {src(b)})"
        ).fetchone()[0]
        if count:
            diffs += count
            print(f"{count} rows {label}, e.g.:")
            for r in rows:
                print("  ", r)
    if diffs:
        return 1
    print(f"same: {n_old} rows, {len(s_old)} columns{' (as multisets)' if unordered else ', in the same order'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
