"""Times one algorithm of one peer library on one edge list; run by bench/graph.py, one process
per (tool, graph, algorithm) so that its peak memory can be read.

    python graph_worker.py TOOL EDGES ALGORITHM SEED ALPHA

TOOL is igraph, networkit or rustworkx. EDGES holds `source target weight` rows of 0-based
integer node ids. Prints one JSON line: seconds (best of up to five runs, reading the file
excluded), a checksum of the result, or {"missing": true} when the library has no such
algorithm.
"""
import json
import math
import sys
import time

import numpy as np

EPSILON = float(__import__("os").environ.get("BENCH_EPSILON", "0.01"))

tool, path, algo, seed, alpha = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
data = np.loadtxt(path, dtype=np.float64, ndmin=2)
src, dst, w = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2].copy()
keep = src != dst
src, dst, w = src[keep], dst[keep], w[keep]
n = int(max(src.max(), dst.max())) + 1


def undirected_arrays():
    """Each tie once (u < v), weights of both directions summed."""
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    key = a * n + b
    uniq, inverse = np.unique(key, return_inverse=True)
    ww = np.zeros(len(uniq))
    np.add.at(ww, inverse, w)
    return uniq // n, uniq % n, ww


def total(x):
    return float(sum(v for v in x if isinstance(v, (int, float)) and math.isfinite(v)))


def best_of(run):
    """Best time of up to five runs, stopping once a second has been spent."""
    times, spent, result = [], 0.0, None
    while len(times) < 5 and (spent < 1.0 or not times):
        t = time.perf_counter()
        result = run()
        dt = time.perf_counter() - t
        times.append(dt)
        spent += dt
    return min(times), result


def with_igraph():
    import igraph as ig

    pairs = list(zip(src.tolist(), dst.tolist()))
    weights = w.tolist()

    def build():
        g = ig.Graph(n=n, edges=pairs, directed=True)
        g.es["weight"] = weights
        return g

    g = build()
    ua, ub, uw = undirected_arrays()
    ug = ig.Graph(n=n, edges=list(zip(ua.tolist(), ub.tolist())), directed=False)
    ug.es["weight"] = uw.tolist()

    def leiden():
        import random

        random.seed(seed)
        c = ug.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
        return ug.modularity(c.membership, weights="weight")

    def louvain():
        import random

        random.seed(seed)
        c = ug.community_multilevel(weights="weight")
        return ug.modularity(c.membership, weights="weight")

    return {
        "build": lambda: build().ecount(),
        "pagerank": lambda: total(g.pagerank(weights="weight", damping=0.85)),
        "betweenness": lambda: total(g.betweenness(directed=True)),
        "closeness": lambda: total(g.closeness(mode="in")),
        "harmonic": lambda: total(g.harmonic_centrality(mode="in", normalized=False)),
        "eigenvector": lambda: total(ug.eigenvector_centrality(weights="weight", scale=False)),
        "hits": lambda: total(g.hub_score(weights="weight")),
        "clustering": lambda: total(ug.transitivity_local_undirected(mode="zero")),
        "core": lambda: total(ug.coreness()),
        "weak_components": lambda: len(g.connected_components(mode="weak")),
        "strong_components": lambda: len(g.connected_components(mode="strong")),
        "constraint": lambda: total(ug.constraint(weights="weight")),
        "leiden": leiden,
        "louvain": louvain,
    }


def with_networkit():
    import networkit as nk

    nk.setSeed(seed, False)

    def make(a, b, ww, directed, weighted):
        g = nk.Graph(n, weighted=weighted, directed=directed)
        if weighted:
            g.addEdges((ww, (a, b)))
        else:
            g.addEdges((a, b))
        return g

    g = make(src, dst, w, True, True)
    gu = make(src, dst, w, True, False)
    ua, ub, uw = undirected_arrays()
    ug = make(ua, ub, uw, False, True)
    ugu = make(ua, ub, uw, False, False)
    c = nk.centrality

    def run(algo):
        algo.run()
        return algo

    def community(make_algo):
        p = run(make_algo()).getPartition()
        return nk.community.Modularity().getQuality(p, ug)

    return {
        "build": lambda: make(src, dst, w, True, True).numberOfEdges(),
        "pagerank": lambda: total(run(c.PageRank(g, damp=0.85, tol=1e-10)).scores()),
        "betweenness": lambda: total(run(c.Betweenness(gu, normalized=False)).scores()),
        "betweenness_approx": lambda: total(
            run(c.ApproxBetweenness(gu, epsilon=EPSILON, delta=0.1)).scores()
        ),
        "closeness": lambda: total(
            run(c.Closeness(gu, True, c.ClosenessVariant.GENERALIZED)).scores()
        ),
        "harmonic": lambda: total(run(c.HarmonicCloseness(gu, normalized=False)).scores()),
        "eigenvector": lambda: total(run(c.EigenvectorCentrality(ug, tol=1e-8)).scores()),
        "katz": lambda: total(run(c.KatzCentrality(g, alpha=alpha, beta=1.0, tol=1e-8)).scores()),
        "clustering": lambda: total(run(c.LocalClusteringCoefficient(ugu, turbo=True)).scores()),
        "core": lambda: total(run(c.CoreDecomposition(ugu)).scores()),
        "weak_components": lambda: run(
            nk.components.WeaklyConnectedComponents(gu)
        ).numberOfComponents(),
        "strong_components": lambda: run(
            nk.components.StronglyConnectedComponents(gu)
        ).numberOfComponents(),
        "leiden": lambda: community(lambda: nk.community.ParallelLeiden(ug, randomize=True)),
        "louvain": lambda: community(lambda: nk.community.PLM(ug, refine=False)),
    }


def with_rustworkx():
    import rustworkx as rx

    edges = list(zip(src.tolist(), dst.tolist(), w.tolist()))

    def build():
        g = rx.PyDiGraph()
        g.add_nodes_from(range(n))
        g.add_edges_from(edges)
        return g

    g = build()
    ua, ub, uw = undirected_arrays()
    ug = rx.PyGraph()
    ug.add_nodes_from(range(n))
    ug.add_edges_from(list(zip(ua.tolist(), ub.tolist(), uw.tolist())))

    def weight(x):
        return x

    return {
        "build": lambda: build().num_edges(),
        "pagerank": lambda: total(rx.pagerank(g, alpha=0.85, weight_fn=weight, tol=1e-10).values()),
        "betweenness": lambda: total(
            rx.digraph_betweenness_centrality(g, normalized=False, parallel_threshold=50).values()
        ),
        "closeness": lambda: total(rx.closeness_centrality(g, wf_improved=True).values()),
        "eigenvector": lambda: total(
            rx.eigenvector_centrality(ug, weight_fn=weight, tol=1e-8, max_iter=10_000).values()
        ),
        "katz": lambda: total(
            rx.katz_centrality(g, alpha=alpha, beta=1.0, weight_fn=weight, tol=1e-8).values()
        ),
        "hits": lambda: total(rx.hits(g, weight_fn=weight, tol=1e-8)[0].values()),
        "core": lambda: total(rx.core_number(ug).values()),
        "weak_components": lambda: len(rx.weakly_connected_components(g)),
        "strong_components": lambda: len(rx.strongly_connected_components(g)),
    }


table = {"igraph": with_igraph, "networkit": with_networkit, "rustworkx": with_rustworkx}[tool]()
if algo not in table:
    print(json.dumps({"tool": tool, "missing": True}))
else:
    seconds, check = best_of(table[algo])
    # Peak resident memory of this process since exec (VmHWM), in MiB.
    with open("/proc/self/status") as f:
        hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    print(json.dumps({"tool": tool, "seconds": seconds, "check": check, "mib": hwm / 1024}))
