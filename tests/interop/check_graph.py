"""Opens orgmirror's graph exports with the tools analysts use and prints what they read, as JSON.

usage: python check_graph.py GRAPHML GEXF PROBE_NODE PROBE_SOURCE PROBE_TARGET [PARQUET ...]

GraphML is read by networkx and by igraph, GEXF by networkx (igraph has no GEXF reader), and
every Parquet file by pyarrow. The calling test compares the numbers with orgmirror's own tables.
"""
import json
import math
import sys

import igraph
import networkx as nx
import pyarrow.parquet as pq


def summary_nx(g, probe, src, dst):
    weights = [d.get("weight", 0.0) for _, _, d in g.edges(data=True)]
    node = dict(g.nodes[probe]) if probe in g else None
    edge = g.get_edge_data(src, dst)
    return {
        "directed": g.is_directed(),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "weight_sum": math.fsum(weights),
        "node": node,
        "edge": dict(edge) if edge else None,
    }


def main():
    graphml, gexf, probe, src, dst, *parquets = sys.argv[1:]
    out = {}
    out["networkx_graphml"] = summary_nx(nx.read_graphml(graphml), probe, src, dst)
    gx = nx.read_gexf(gexf)
    out["networkx_gexf"] = summary_nx(gx, probe, src, dst)
    ig = igraph.Graph.Read_GraphML(graphml)
    ids = ig.vs["id"]
    v = ig.vs[ids.index(probe)]
    e = ig.es[ig.get_eid(ids.index(src), ids.index(dst))]
    out["igraph_graphml"] = {
        "directed": ig.is_directed(),
        "nodes": ig.vcount(),
        "edges": ig.ecount(),
        "weight_sum": math.fsum(ig.es["weight"]),
        "node": {k: v[k] for k in ig.vs.attributes() if isinstance(v[k], str) or not (isinstance(v[k], float) and math.isnan(v[k]))},
        "edge": {k: e[k] for k in ig.es.attributes() if not (isinstance(e[k], float) and math.isnan(e[k]))},
    }
    out["parquet"] = {}
    for p in parquets:
        t = pq.read_table(p)
        out["parquet"][p] = {"rows": t.num_rows, "columns": t.column_names}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
