"""Community-detection reference values from igraph for the graph engine's tests.

Run from the repository root after make_reference.py (it reads the graphs stored there, so both
libraries see exactly the same edges):
    pip install igraph==1.0.0
    python3 crates/graph/tests/reference/make_igraph_reference.py
It writes crates/graph/tests/reference/igraph.json. Node indices are 0-based.

Every directed graph is made undirected by summing the two directions (u–v weighs
w(u,v) + w(v,u)), as the graph engine's `Symmetrize::Sum` does. Per graph it stores:
- Leiden under modularity (resolution 1) and under CPM (resolution `cpm_resolution`), run until
  stable (n_iterations=-1), for seeds 0..29: memberships and igraph's own quality values;
- Louvain (community_multilevel) for the same seeds: memberships and modularity;
- igraph's modularity of the first Leiden membership at resolutions 1 and 0.5, and the directed
  modularity of the v % 3 partition on the directed graph;
- NMI and ARI (compare_communities) between pairs of the stored memberships.
"""
import json
import random
import sys
from pathlib import Path

import igraph as ig

HERE = Path(__file__).resolve().parent
SEEDS = range(30)


def undirected(n, edges):
    summed = {}
    for u, v, w in edges:
        if u == v:
            continue
        key = (min(u, v), max(u, v))
        summed[key] = summed.get(key, 0.0) + w
    keys = sorted(summed)
    g = ig.Graph(n=n, edges=keys, directed=False)
    g.es["weight"] = [summed[k] for k in keys]
    return g


def directed(n, edges):
    g = ig.Graph(n=n, edges=[(u, v) for u, v, _ in edges], directed=True)
    g.es["weight"] = [w for _, _, w in edges]
    return g


def values(n, edges):
    ug = undirected(n, edges)
    dg = directed(n, edges)
    total = sum(ug.es["weight"])
    # A CPM resolution near the graph's density, so the answer is neither one group nor singletons.
    cpm_resolution = round(2.0 * total / (n * (n - 1)), 6)
    out = {"n": n, "cpm_resolution": cpm_resolution}
    leiden, leiden_q, cpm, cpm_q, louvain, louvain_q = [], [], [], [], [], []
    for s in SEEDS:
        random.seed(s)
        c = ug.community_leiden(
            objective_function="modularity", weights="weight", resolution=1.0, n_iterations=-1
        )
        leiden.append(c.membership)
        leiden_q.append(ug.modularity(c.membership, weights="weight"))
        random.seed(s)
        c = ug.community_leiden(
            objective_function="cpm", weights="weight", resolution=cpm_resolution, n_iterations=-1
        )
        cpm.append(c.membership)
        cpm_q.append(c.quality)
        random.seed(s)
        c = ug.community_multilevel(weights="weight", resolution=1.0)
        louvain.append(c.membership)
        louvain_q.append(ug.modularity(c.membership, weights="weight"))
    thirds = [v % 3 for v in range(n)]
    out.update(
        {
            "leiden_modularity": {"memberships": leiden, "quality": leiden_q},
            "leiden_cpm": {"memberships": cpm, "quality": cpm_q},
            "louvain": {"memberships": louvain, "quality": louvain_q},
            "modularity_of_leiden_0": ug.modularity(leiden[0], weights="weight"),
            "modularity_of_leiden_0_res_0_5": ug.modularity(
                leiden[0], weights="weight", resolution=0.5
            ),
            "directed_modularity_thirds": dg.modularity(thirds, weights="weight", directed=True),
            "compare": [
                {
                    "a": a,
                    "b": b,
                    "nmi": ig.compare_communities(pa, pb, method="nmi"),
                    "ari": ig.compare_communities(pa, pb, method="adjusted_rand"),
                }
                for a, b, pa, pb in [
                    ("leiden_0", "leiden_1", leiden[0], leiden[1]),
                    ("leiden_0", "louvain_0", leiden[0], louvain[0]),
                    ("leiden_0", "thirds", leiden[0], thirds),
                    ("cpm_0", "leiden_0", cpm[0], leiden[0]),
                ]
            ],
        }
    )
    return out


def main():
    nx_ref = json.loads((HERE / "networkx.json").read_text())
    out = {"igraph": ig.__version__, "python": sys.version.split()[0], "graphs": {}}
    for name, g in nx_ref["graphs"].items():
        out["graphs"][name] = values(g["n"], g["edges"])
    path = HERE / "igraph.json"
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(out['graphs'])} graphs, igraph {ig.__version__})")


if __name__ == "__main__":
    main()
