"""Graph engine benchmark: orgmirror's graph crate against igraph, NetworKit and rustworkx, the
same algorithm on the same edge list in the same run. Run through bench/graph.sh.

Sampled betweenness (orgmirror and NetworKit's ApproxBetweenness, both Riondato–Kornaropoulos,
δ = 0.1) uses ε = 0.01 on email-Eu-core and 0.05 on the 100k graph.

Graphs: email-Eu-core (../shared/data) and organizations made by `orgmirror generate` at 1k, 10k
and 100k people (seeded), whose edges are sender → recipient weighted by the number of messages
and meeting invitations. Each (tool, graph, algorithm) runs in its own process: the time is the
best of up to five runs of the algorithm alone (reading the file excluded), the memory is the
process's peak resident set (VmHWM, which includes the loaded edge list and, for the Python
libraries, the interpreter and numpy). Ratio = fastest peer's time / orgmirror's time (above 1: orgmirror
is faster).
"""
import collections
import csv
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "graph"
PY = sys.executable
TIMINGS = ROOT / "target" / "release" / "examples" / "timings"
ORGMIRROR = ROOT / "target" / "release" / "orgmirror"
PEERS = ["igraph", "networkit", "rustworkx"]
SEED = 1

# Algorithms that cost O(n·m) run only up to this many nodes (all tools alike).
QUADRATIC = {"betweenness", "closeness", "harmonic"}
QUADRATIC_MAX_NODES = 20_000
ALGORITHMS = [
    "build",
    "pagerank",
    "betweenness",
    "betweenness_approx",
    "closeness",
    "harmonic",
    "eigenvector",
    "hits",
    "katz",
    "clustering",
    "core",
    "weak_components",
    "strong_components",
    "constraint",
    "leiden",
    "louvain",
]
SIZES = {"1k": (1_000, 40_000), "10k": (10_000, 400_000), "100k": (100_000, 4_000_000)}


def synthetic(label):
    people, events = SIZES[label]
    path = OUT / f"org-{label}.txt"
    if path.exists():
        return path
    gen = OUT / f"gen-{label}"
    subprocess.run(
        [ORGMIRROR, "generate", "--people", str(people), "--days", "20", "--events", str(events),
         "--seed", "42", "--format", "csv", "--out", gen, "-q"],
        check=True, stdout=subprocess.DEVNULL,
    )
    ids, counts = {}, collections.Counter()
    with open(gen / "events.csv", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        a_i, r_i = header.index("actor"), header.index("recipient")
        for row in rows:
            a, r = row[a_i], row[r_i]
            if a != r:
                counts[(ids.setdefault(a, len(ids)), ids.setdefault(r, len(ids)))] += 1
    with open(path, "w") as f:
        for (u, v), c in sorted(counts.items()):
            f.write(f"{u} {v} {c}\n")
    for p in gen.iterdir():
        p.unlink()
    gen.rmdir()
    return path


def email_eu_core():
    path = OUT / "email-eu-core.txt"
    if not path.exists():
        src = ROOT.parent / "shared" / "data" / "email-eu-core" / "edges.txt"
        with open(src) as f, open(path, "w") as out:
            for line in f:
                if line.strip():
                    u, v = line.split()
                    out.write(f"{u} {v} 1\n")
    return path


def katz_alpha(path):
    """0.5 / λ_max of the weighted adjacency matrix, the same α for every tool."""
    import numpy as np
    import scipy.sparse as sp
    import scipy.sparse.linalg as sla

    d = np.loadtxt(path, ndmin=2)
    n = int(d[:, :2].max()) + 1
    keep = d[:, 0] != d[:, 1]
    a = sp.csr_matrix((d[keep, 2], (d[keep, 0].astype(int), d[keep, 1].astype(int))), shape=(n, n))
    lam = abs(sla.eigs(a, k=1, which="LM", return_eigenvectors=False)[0])
    return float(0.5 / lam)


def run_one(cmd):
    """Runs one worker; its JSON answer carries its time and its own peak memory (VmHWM)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    if proc.wait() != 0:
        text = err.decode(errors="replace").strip().splitlines() or ["failed"]
        return {"error": text[-1][:160]}
    return json.loads(out.decode().strip().splitlines()[-1])


def versions():
    import igraph
    import networkit
    import rustworkx

    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "igraph": igraph.__version__,
        "networkit": networkit.__version__,
        "rustworkx": rustworkx.__version__,
        "python": platform.python_version(),
        "rustc": rustc,
        "cpus": os.cpu_count(),
    }


def fmt_time(s):
    if s is None:
        return "—"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = sys.argv[1:] or ["email-eu-core", "1k", "10k", "100k"]
    v = versions()
    lines = [
        f"peers: igraph {v['igraph']}, NetworKit {v['networkit']}, rustworkx {v['rustworkx']} "
        f"(Python {v['python']}); orgmirror built with {v['rustc']}; {v['cpus']} cores",
        "",
    ]
    results = {"versions": v, "graphs": {}}
    for name in wanted:
        path = email_eu_core() if name == "email-eu-core" else synthetic(name)
        n = 1 + max(max(int(a), int(b)) for a, b, _ in (l.split() for l in open(path)))
        m = sum(1 for _ in open(path))
        alpha = katz_alpha(path)
        # Sampled betweenness: ε = 0.01 on email-Eu-core, 0.05 on graphs too large for exact
        # betweenness (0.01 there means ~10^5 searches of the whole graph for every tool).
        epsilon = 0.01 if n <= QUADRATIC_MAX_NODES else 0.05
        lines += [f"### {name}: {n} nodes, {m} directed weighted edges", ""]
        lines += ["| algorithm | orgmirror | igraph | NetworKit | rustworkx | ratio to fastest peer | peak MiB (ours / peers) |",
                  "|---|---|---|---|---|---|---|"]
        results["graphs"][name] = {"n": n, "m": m, "algorithms": {}}
        for algo in ALGORITHMS:
            if algo in QUADRATIC and n > QUADRATIC_MAX_NODES:
                continue
            if algo == "betweenness_approx" and n <= QUADRATIC_MAX_NODES and name != "email-eu-core":
                continue
            os.environ["BENCH_EPSILON"] = str(epsilon)
            row = {"orgmirror": run_one([TIMINGS, path, algo, str(SEED), repr(alpha)])}
            for peer in PEERS:
                row[peer] = run_one([PY, ROOT / "bench" / "graph_worker.py", peer, path, algo,
                                     str(SEED), repr(alpha)])
            results["graphs"][name]["algorithms"][algo] = row
            ours = row["orgmirror"].get("seconds")
            peer_times = [(row[p]["seconds"], p) for p in PEERS if "seconds" in row[p]]
            best = min(peer_times) if peer_times else None
            ratio = f"{best[0] / ours:.2f}× ({best[1]})" if best and ours else "no peer"
            cells = []
            for tool in ["orgmirror"] + PEERS:
                r = row[tool]
                if r.get("missing"):
                    cells.append("n/a")
                elif "error" in r:
                    cells.append("error")
                else:
                    cells.append(fmt_time(r["seconds"]))
            mem = " / ".join(
                f"{row[t]['mib']:.0f}" if "mib" in row[t] and not row[t].get("missing") else "—"
                for t in ["orgmirror"] + PEERS
            )
            lines.append(f"| {algo} | " + " | ".join(cells) + f" | {ratio} | {mem} |")
            print(lines[-1], flush=True)
        # Speed means little for community detection without the quality reached.
        for algo in ["leiden", "louvain"]:
            row = results["graphs"][name]["algorithms"].get(algo, {})
            reached = ", ".join(
                f"{tool} {row[tool]['check']:.4f}"
                for tool in ["orgmirror"] + PEERS
                if "check" in row.get(tool, {})
            )
            if reached:
                lines += ["", f"Modularity reached by {algo}: {reached}."]
        lines.append("")
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    table = "\n".join(lines)
    (OUT / "table.md").write_text(table + "\n")
    print()
    print(table)


if __name__ == "__main__":
    main()
