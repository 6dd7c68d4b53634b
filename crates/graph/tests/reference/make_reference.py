"""Reference values from networkx for the graph engine's tests.

Run from the repository root with ../shared beside it:
    pip install networkx==3.6.1 numpy scipy
    python3 crates/graph/tests/reference/make_reference.py
It writes crates/graph/tests/reference/networkx.json. Every graph's edges are stored with its
values, so the tests rebuild exactly the graph networkx saw. Node indices are 0-based.
"""
import json
import math
import random
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT.parent / "shared" / "data"


def from_csv(path, n, one_based=True):
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    lines = path.read_text().splitlines()[1:]
    for line in lines:
        u, v = (int(x) for x in line.split(","))
        if one_based:
            u, v = u - 1, v - 1
        g.add_edge(u, v, weight=1.0)
    return g


def graphs():
    karate = nx.karate_club_graph()
    k = nx.DiGraph()
    k.add_nodes_from(karate.nodes)
    for u, v, w in karate.edges(data="weight"):
        k.add_edge(u, v, weight=float(w))
        k.add_edge(v, u, weight=float(w))
    yield "karate_weighted", k
    yield "krackhardt_advice", from_csv(DATA / "krackhardt" / "advice.csv", 21)
    yield "lazega_advice", from_csv(DATA / "lazega" / "advice.csv", 71)
    eu = nx.DiGraph()
    eu.add_nodes_from(range(1005))
    for line in (DATA / "email-eu-core" / "edges.txt").read_text().split("\n"):
        if line.strip():
            u, v = (int(x) for x in line.split())
            if u != v:
                eu.add_edge(u, v, weight=1.0)
    yield "email_eu_core", eu
    rng = random.Random(7)
    r = nx.gnp_random_graph(300, 0.02, seed=7, directed=True)
    rw = nx.DiGraph()
    rw.add_nodes_from(r.nodes)
    for u, v in sorted(r.edges):
        rw.add_edge(u, v, weight=round(rng.uniform(0.5, 3.0), 6))
    yield "random_300_weighted", rw


def values(g):
    n = g.number_of_nodes()
    pr = nx.pagerank(g, alpha=0.85, tol=1e-13, max_iter=10_000, weight="weight")
    pers = {v: 0.0 for v in g.nodes}
    pers[0], pers[1] = 3.0, 1.0
    ppr = nx.pagerank(g, alpha=0.85, personalization=pers, tol=1e-13, max_iter=10_000, weight="weight")
    scc = sorted(sorted(c) for c in nx.strongly_connected_components(g))
    wcc = sorted(sorted(c) for c in nx.weakly_connected_components(g))
    core = nx.core_number(nx.Graph(g.to_undirected()))
    bet = nx.betweenness_centrality(g, normalized=True)
    bet_w = nx.betweenness_centrality(g, normalized=True, weight="weight")
    clo = nx.closeness_centrality(g)
    clo_w = nx.closeness_centrality(g, distance="weight")
    har = nx.harmonic_centrality(g)
    har_w = nx.harmonic_centrality(g, distance="weight")
    cons = nx.constraint(g, weight="weight")
    # Asking for every node by name takes networkx's per-node path, which applies Burt's formula
    # literally; its sparse-matrix path (nodes=None) gives other values on some graphs (email-Eu-core
    # node 0: 32.0915 against 32.0070). The per-node path leaves nodes without out-edges undefined.
    eff = nx.effective_size(g, nodes=list(g), weight="weight")
    try:
        eig = nx.eigenvector_centrality(g, max_iter=100_000, tol=1e-13, weight="weight")
        eig = [eig[v] for v in range(n)]
    except nx.PowerIterationFailedConvergence:
        eig = None
    hubs, auths = nx.hits(g, max_iter=100_000, tol=1e-14)
    import numpy as np
    lam = max(abs(np.linalg.eigvals(nx.to_numpy_array(g, nodelist=range(n), weight="weight"))))
    katz_alpha = float(0.5 / lam)
    katz = nx.katz_centrality(g, alpha=katz_alpha, beta=1.0, max_iter=100_000, tol=1e-13, weight="weight")
    # Undirected projection as the graph engine makes it: u–v weighs w(u,v) + w(v,u).
    ug = nx.Graph()
    ug.add_nodes_from(g.nodes)
    for u, v, w in g.edges(data="weight"):
        prev = ug.get_edge_data(u, v, {"weight": 0.0})["weight"]
        ug.add_edge(u, v, weight=prev + w)
    thirds = [[v for v in range(n) if v % 3 == r] for r in range(3)]
    clu = nx.clustering(g)
    clu_w = nx.clustering(g, weight="weight")
    return {
        "n": n,
        "clustering": [clu[v] for v in range(n)],
        "clustering_weighted": [clu_w[v] for v in range(n)],
        "modularity_undirected_thirds": nx.community.modularity(ug, thirds, weight="weight"),
        "modularity_undirected_thirds_res_0_5": nx.community.modularity(ug, thirds, weight="weight", resolution=0.5),
        "modularity_directed_thirds": nx.community.modularity(g, thirds, weight="weight"),
        "edges": [[u, v, w] for u, v, w in sorted(g.edges(data="weight"))],
        "pagerank": [pr[v] for v in range(n)],
        "pagerank_personalized_0_1": [ppr[v] for v in range(n)],
        "in_strength": [g.in_degree(v, weight="weight") for v in range(n)],
        "out_strength": [g.out_degree(v, weight="weight") for v in range(n)],
        "in_degree": [g.in_degree(v) for v in range(n)],
        "out_degree": [g.out_degree(v) for v in range(n)],
        "reciprocity": nx.overall_reciprocity(g),
        "strong_components": scc,
        "weak_components": wcc,
        "core_number": [core[v] for v in range(n)],
        "betweenness_hops": [bet[v] for v in range(n)],
        "betweenness_weight_as_length": [bet_w[v] for v in range(n)],
        "closeness_hops": [clo[v] for v in range(n)],
        "closeness_weight_as_length": [clo_w[v] for v in range(n)],
        "harmonic_hops": [har[v] for v in range(n)],
        "harmonic_weight_as_length": [har_w[v] for v in range(n)],
        "eigenvector": eig,
        # NaN (a node without out-edges) is written as null.
        "constraint": [None if math.isnan(cons[v]) else cons[v] for v in range(n)],
        "effective_size": [None if math.isnan(eff[v]) else eff[v] for v in range(n)],
        "hits_hubs": [hubs[v] for v in range(n)],
        "hits_authorities": [auths[v] for v in range(n)],
        "katz_alpha": katz_alpha,
        "katz": [katz[v] for v in range(n)],
    }


def main():
    out = {"networkx": nx.__version__, "python": sys.version.split()[0], "graphs": {}}
    for name, g in graphs():
        out["graphs"][name] = values(g)
    path = Path(__file__).with_name("networkx.json")
    path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(out['graphs'])} graphs, networkx {nx.__version__})")


if __name__ == "__main__":
    main()
