"""Reference for `orgmirror validate`: how well igraph's Leiden (modularity, resolution 1) recovers
email-Eu-core's departments, as NMI and ARI averaged over 30 seeds, on the same graph orgmirror
analyzes (self-loops dropped, directions and repeats summed into undirected weights).

Run: python make_validation_reference.py ../../../../../shared/data > validation_reference.json
(needs igraph 1.0.0 from PyPI, as bench/graph.sh installs)."""
import json
import sys
from pathlib import Path

import igraph as ig


def main():
    data = Path(sys.argv[1])
    weights = {}
    for line in open(data / "email-eu-core" / "edges.txt"):
        a, b = map(int, line.split())
        if a != b:
            key = (min(a, b), max(a, b))
            weights[key] = weights.get(key, 0) + 1
    dept = {}
    for line in open(data / "email-eu-core" / "departments.txt"):
        p, d = map(int, line.split())
        dept[p] = d
    n = 1 + max(max(max(k) for k in weights), max(dept))
    g = ig.Graph(n=n, edges=list(weights), directed=False)
    g.es["weight"] = list(weights.values())
    truth = [dept.get(v, -1) for v in range(n)]
    nmis, aris = [], []
    for seed in range(30):
        ig.set_random_number_generator(__import__("random").Random(seed))
        part = g.community_leiden(objective_function="modularity", weights="weight",
                                  resolution=1.0, n_iterations=-1)
        nmis.append(ig.compare_communities(truth, part.membership, method="nmi"))
        aris.append(ig.compare_communities(truth, part.membership, method="ari"))
    print(json.dumps({
        "igraph": ig.__version__,
        "email_eu_core": {
            "seeds": 30,
            "leiden_nmi_mean": sum(nmis) / len(nmis),
            "leiden_ari_mean": sum(aris) / len(aris),
            "nodes": n,
            "edges": len(weights),
        },
    }, indent=1))


main()
