"""Reference totals from networkx for the graph engine's maximum branching (`arborescence`).

Run from the repository root with ../shared beside it:
    pip install networkx==3.6.1
    python3 crates/graph/tests/reference/make_arborescence_reference.py
It writes crates/graph/tests/reference/arborescence.json. Node indices are 0-based.

Each graph is stored as `maximum_branching` takes it: n nodes, arcs [parent, child, weight] and
one root weight per node. networkx sees the same arcs plus a virtual root n with an arc n -> v of
weight root_weight[v] for every v, and its maximum_spanning_arborescence (Edmonds) total is
stored. Ties may give different trees, so only totals are compared.

Krackhardt's advice network (../shared/data/krackhardt/advice.csv, 1-based ids) weighs arc
from_vid -> to_vid as 1 + (7 from_vid + 13 to_vid) % 10, so that ties are rare.
"""
import json
import random
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT.parent / "shared" / "data"


def random_graph(seed, n, m, weights, root_weights):
    rng = random.Random(seed)
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = sorted(rng.sample(pairs, m))
    arcs = [[u, v, round(rng.uniform(*weights), 6)] for u, v in chosen]
    root_weight = [round(rng.uniform(*root_weights), 6) for _ in range(n)]
    return {"n": n, "arcs": arcs, "root_weight": root_weight}


def krackhardt_advice():
    arcs = []
    for line in (DATA / "krackhardt" / "advice.csv").read_text().splitlines()[1:]:
        u, v = (int(x) for x in line.split(","))
        arcs.append([u - 1, v - 1, float(1 + (u * 7 + v * 13) % 10)])
    return {"n": 21, "arcs": sorted(arcs), "root_weight": [3.5] * 21}


def graphs():
    yield "random_30_150", random_graph(30, 30, 150, (0.0, 5.0), (0.0, 2.0))
    # Negative weights: every node still gets a parent or a root weight, both possibly losses.
    yield "random_12_dense_negative", random_graph(12, 12, 100, (-3.0, 3.0), (-2.0, 1.0))
    yield "random_200_2000", random_graph(200, 200, 2000, (0.0, 10.0), (0.0, 3.0))
    yield "krackhardt_advice", krackhardt_advice()


def best_total(g):
    n = g["n"]
    d = nx.DiGraph()
    d.add_nodes_from(range(n + 1))
    for u, v, w in g["arcs"]:
        d.add_edge(u, v, weight=w)
    for v, w in enumerate(g["root_weight"]):
        d.add_edge(n, v, weight=w)
    tree = nx.maximum_spanning_arborescence(d, attr="weight")
    assert tree.number_of_nodes() == n + 1 and tree.in_degree(n) == 0
    return sum(d[u][v]["weight"] for u, v in tree.edges)


def main():
    out = {"networkx": nx.__version__, "python": sys.version.split()[0], "graphs": {}}
    for name, g in graphs():
        g["total"] = best_total(g)
        out["graphs"][name] = g
    path = Path(__file__).with_name("arborescence.json")
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(out['graphs'])} graphs, networkx {nx.__version__})")


if __name__ == "__main__":
    main()
