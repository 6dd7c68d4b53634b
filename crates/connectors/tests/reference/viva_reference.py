"""Independent counts of the Viva Insights fixtures (csv module only), for crates/connectors/tests/viva.rs.

Run from the repository root:
    python3 crates/connectors/tests/reference/viva_reference.py > crates/connectors/tests/reference/viva_reference.json

For a person-to-person file: rows, rows whose Strong_tie_score is above zero (one tie each),
the sum of those scores, distinct people, self pairs, and the distinct MetricDate values as ISO
dates. For the other queries: the header's first column and the number of rows.
"""
import csv
import datetime
import json
import os
import sys

DATA = "/work/shared/data"
FILES = {
    "py_p2p": os.path.join(DATA, "formats/viva/vivainsights-py/p2p_data.csv"),
    "py_p2g": os.path.join(DATA, "formats/viva/vivainsights-py/p2g_data.csv"),
    "py_g2g": os.path.join(DATA, "formats/viva/vivainsights-py/g2g_data.csv"),
    "py_mt": os.path.join(DATA, "formats/viva/vivainsights-py/mt_data.csv"),
    "r_p2p": os.path.join(DATA, "vivainsights-p2p/p2p_data.csv"),
}


def iso(text):
    text = text.split()[0]
    if "/" in text:
        return datetime.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    return datetime.date.fromisoformat(text).isoformat()


def count(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0].keys())
    out = {"rows": len(rows), "first_column": header[0]}
    if "SecondaryCollaborator_PersonId" in header:
        ties = [r for r in rows if r["Strong_tie_score"] not in ("", "NA") and float(r["Strong_tie_score"]) > 0]
        out["ties"] = len(ties)
        out["tie_weight_sum"] = round(sum(float(r["Strong_tie_score"]) for r in ties), 6)
        people = {r["PrimaryCollaborator_PersonId"] for r in ties} | {r["SecondaryCollaborator_PersonId"] for r in ties}
        out["people"] = len(people)
        out["self_pairs"] = sum(1 for r in ties if r["PrimaryCollaborator_PersonId"] == r["SecondaryCollaborator_PersonId"])
        out["dates"] = sorted({iso(r["MetricDate"]) for r in ties})
    return out


json.dump({name: count(path) for name, path in FILES.items() if os.path.exists(path)}, sys.stdout, indent=1, sort_keys=True)
print()
