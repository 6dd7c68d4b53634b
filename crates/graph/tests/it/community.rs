//! Clustering, modularity, Leiden/Louvain, partition agreement, approximate betweenness and
//! brokerage: against networkx and igraph (values stored as data, made by
//! `tests/reference/make_reference.py` and `make_igraph_reference.py`) and against naive
//! definitions on random graphs.

use super::{close, floats, random_graph, reference, reference_graph};
use graph::Graph;
use graph::betweenness::{
    ApproximateOptions, BetweennessOptions, approximate_betweenness, betweenness,
};
use graph::brokerage::{Brokerage, brokerage};
use graph::clustering::clustering;
use graph::community::{
    CommunityOptions, Quality, Symmetrize, ari, directed_modularity, ei_index, leiden, louvain,
    modularity, nmi, quality,
};
use graph::components::weak_components;
use graph::paths::Length;
use rand::{Rng, SeedableRng};
use serde_json::Value;

fn igraph() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/igraph.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn labels(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn thirds(n: usize) -> Vec<u32> {
    (0..n as u32).map(|v| v % 3).collect()
}

#[test]
fn clustering_and_modularity_match_networkx() {
    let r = reference();
    for (name, g) in r["graphs"].as_object().unwrap() {
        let graph = reference_graph(g);
        let n = graph.n();
        close(
            name,
            "clustering",
            &clustering(&graph, false).0,
            &floats(&g["clustering"]),
            1e-12,
        );
        close(
            name,
            "clustering weighted",
            &clustering(&graph, true).0,
            &floats(&g["clustering_weighted"]),
            1e-12,
        );
        let t = thirds(n);
        for (res, key) in [
            (1.0, "modularity_undirected_thirds"),
            (0.5, "modularity_undirected_thirds_res_0_5"),
        ] {
            let got = modularity(&graph, &t, res, Symmetrize::Sum).unwrap();
            let want = g[key].as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "{name} {key}: {got} vs {want}");
        }
        let got = directed_modularity(&graph, &t, 1.0).unwrap();
        let want = g["modularity_directed_thirds"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "{name} directed: {got} vs {want}"
        );
    }
}

/// Every community of `labels` induces a connected subgraph of the undirected graph.
fn communities_connected(g: &Graph, labels: &[u32]) -> bool {
    let u = g.to_undirected();
    let inside: Vec<(u32, u32, f64)> = u
        .edges()
        .filter(|&(a, b, _)| labels[a] == labels[b])
        .map(|(a, b, w)| (a as u32, b as u32, w))
        .collect();
    let pieces = weak_components(&Graph::from_edges(g.n(), inside).unwrap());
    let mut seen = std::collections::HashMap::new();
    labels
        .iter()
        .zip(&pieces)
        .all(|(&l, &p)| *seen.entry(l).or_insert(p) == p)
}

#[test]
fn leiden_and_louvain_reach_igraph_quality_and_agreement_measures_match() {
    let nx = reference();
    let ig = igraph();
    let graphs = ig["graphs"].as_object().unwrap();
    assert_eq!(graphs.len(), 5);
    let mut short = Vec::new();
    for (name, want) in graphs {
        let graph = reference_graph(&nx["graphs"][name]);
        let n = graph.n();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

        // Quality of igraph's own partitions, computed here, equals what igraph reports: the
        // two libraries define modularity and CPM the same way.
        let cpm_res = want["cpm_resolution"].as_f64().unwrap();
        for (key, q, res) in [
            ("leiden_modularity", Quality::Modularity, 1.0),
            ("louvain", Quality::Modularity, 1.0),
            ("leiden_cpm", Quality::Cpm, cpm_res),
        ] {
            let theirs = &want[key];
            for (m, wq) in theirs["memberships"]
                .as_array()
                .unwrap()
                .iter()
                .zip(floats(&theirs["quality"]))
            {
                let got = quality(&graph, &labels(m), q, res, Symmetrize::Sum).unwrap();
                assert!(
                    (got - wq).abs() < 1e-9,
                    "{name} {key}: {got} vs igraph {wq}"
                );
            }
        }
        let first = labels(&want["leiden_modularity"]["memberships"][0]);
        let got = modularity(&graph, &first, 0.5, Symmetrize::Sum).unwrap();
        let wq = want["modularity_of_leiden_0_res_0_5"].as_f64().unwrap();
        assert!((got - wq).abs() < 1e-9, "{name} res 0.5: {got} vs {wq}");
        let got = directed_modularity(&graph, &thirds(n), 1.0).unwrap();
        let wq = want["directed_modularity_thirds"].as_f64().unwrap();
        assert!((got - wq).abs() < 1e-12, "{name} directed: {got} vs {wq}");

        // Modularity: our methods, over the same thirty seeds, reach at least igraph's mean. CPM
        // (not a promise of the issue, and rugged on small graphs): not significantly below it,
        // i.e. within two standard errors of the difference of the means.
        for (key, q, res, method) in [
            ("leiden_modularity", Quality::Modularity, 1.0, "leiden"),
            ("leiden_cpm", Quality::Cpm, cpm_res, "leiden"),
            ("louvain", Quality::Modularity, 1.0, "louvain"),
        ] {
            let ours: Vec<f64> = (0..30)
                .map(|seed| {
                    let opts = CommunityOptions {
                        quality: q,
                        resolution: res,
                        seed,
                        ..Default::default()
                    };
                    let p = if method == "leiden" {
                        leiden(&graph, &opts).unwrap()
                    } else {
                        louvain(&graph, &opts).unwrap()
                    };
                    let check = quality(&graph, &p.labels, q, res, Symmetrize::Sum).unwrap();
                    assert!(
                        (check - p.quality).abs() < 1e-9,
                        "{name} {key} reported quality"
                    );
                    if method == "leiden" {
                        assert!(
                            communities_connected(&graph, &p.labels),
                            "{name} {key} seed {seed}: a community is disconnected"
                        );
                    }
                    p.quality
                })
                .collect();
            let their_runs = floats(&want[key]["quality"]);
            let theirs = mean(&their_runs);
            let variance = |v: &[f64]| {
                let m = mean(v);
                v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64
            };
            let slack = if q == Quality::Cpm {
                2.0 * (variance(&ours) / ours.len() as f64
                    + variance(&their_runs) / their_runs.len() as f64)
                    .sqrt()
            } else {
                1e-12
            };
            eprintln!("{name} {key}: mean {:.6}, igraph {theirs:.6}", mean(&ours));
            if mean(&ours) < theirs - slack {
                short.push(format!(
                    "{name} {key}: mean {} below igraph's {theirs}",
                    mean(&ours)
                ));
            }
        }

        for c in want["compare"].as_array().unwrap() {
            let pick = |which: &str| -> Vec<u32> {
                match which {
                    "thirds" => thirds(n),
                    _ => {
                        let (kind, i) = which.rsplit_once('_').unwrap();
                        let key = match kind {
                            "leiden" => "leiden_modularity",
                            "louvain" => "louvain",
                            _ => "leiden_cpm",
                        };
                        labels(&want[key]["memberships"][i.parse::<usize>().unwrap()])
                    }
                }
            };
            let (a, b) = (
                pick(c["a"].as_str().unwrap()),
                pick(c["b"].as_str().unwrap()),
            );
            let (wn, wa) = (c["nmi"].as_f64().unwrap(), c["ari"].as_f64().unwrap());
            let (gn, ga) = (nmi(&a, &b).unwrap(), ari(&a, &b).unwrap());
            assert!((gn - wn).abs() < 1e-12, "{name} nmi {c}: {gn}");
            assert!((ga - wa).abs() < 1e-12, "{name} ari {c}: {ga}");
        }
    }
    assert!(short.is_empty(), "{short:#?}");
}

#[test]
fn leiden_is_deterministic_and_never_worse_than_trivial_partitions() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(21);
    for case in 0..60 {
        let n = 2 + case % 40;
        let g = random_graph(&mut rng, n, [0.05, 0.1, 0.3][case % 3]);
        for q in [Quality::Modularity, Quality::Cpm] {
            let opts = CommunityOptions {
                quality: q,
                resolution: if q == Quality::Cpm { 0.2 } else { 1.0 },
                seed: case as u64,
                ..Default::default()
            };
            let a = leiden(&g, &opts).unwrap();
            assert_eq!(a, leiden(&g, &opts).unwrap(), "case {case}: same seed");
            assert!(communities_connected(&g, &a.labels), "case {case}");
            let singletons: Vec<u32> = (0..n as u32).collect();
            let one = vec![0; n];
            for trivial in [singletons, one] {
                let t = quality(&g, &trivial, q, opts.resolution, Symmetrize::Sum).unwrap();
                assert!(
                    a.quality >= t - 1e-12,
                    "case {case} {q:?}: {} < {t}",
                    a.quality
                );
            }
            // Labels are numbered by each community's smallest node.
            let mut next = 0;
            for &l in &a.labels {
                assert!(l <= next, "case {case}: label order");
                if l == next {
                    next += 1;
                }
            }
            assert_eq!(next as usize, a.count);
        }
    }
}

#[test]
fn agreement_measures_are_symmetric_and_ignore_label_names() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    for case in 0..100 {
        let n = 1 + case % 30;
        let a: Vec<u32> = (0..n).map(|_| rng.random_range(0..4)).collect();
        let b: Vec<u32> = (0..n).map(|_| rng.random_range(0..5)).collect();
        let renamed: Vec<u32> = a.iter().map(|&l| 100 - l * 7).collect();
        assert!((nmi(&a, &renamed).unwrap() - 1.0).abs() < 1e-12);
        assert!((ari(&a, &renamed).unwrap() - 1.0).abs() < 1e-12);
        assert!((nmi(&a, &b).unwrap() - nmi(&b, &a).unwrap()).abs() < 1e-12);
        assert!((ari(&a, &b).unwrap() - ari(&b, &a).unwrap()).abs() < 1e-12);
        let v = nmi(&a, &b).unwrap();
        assert!((0.0..=1.0).contains(&v));
    }
    assert!(nmi(&[0, 1], &[0]).is_err());
}

#[test]
fn ei_index_matches_its_definition() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
    for case in 0..60 {
        let n = 2 + case % 15;
        let g = random_graph(&mut rng, n, 0.3);
        let labels: Vec<u32> = (0..n).map(|_| rng.random_range(0..3)).collect();
        let got = ei_index(&g, &labels, true).unwrap();
        let (mut e, mut i) = (0.0, 0.0);
        for u in 0..n {
            for v in 0..n {
                if u != v
                    && let Some(w) = g.weight(u, v)
                {
                    if labels[u] == labels[v] {
                        i += w;
                    } else {
                        e += w;
                    }
                }
            }
        }
        match got.overall {
            Some(x) => assert!((x - (e - i) / (e + i)).abs() < 1e-12, "case {case}"),
            None => assert_eq!(e + i, 0.0),
        }
    }
}

#[test]
fn approximate_betweenness_stays_within_its_bound_on_reference_graphs() {
    let r = reference();
    for (name, g) in r["graphs"].as_object().unwrap() {
        let graph = reference_graph(g);
        for length in [Length::Hops, Length::Weight] {
            let exact = betweenness(
                &graph,
                &BetweennessOptions {
                    length,
                    normalized: true,
                },
            );
            let approx = approximate_betweenness(
                &graph,
                &ApproximateOptions {
                    length,
                    epsilon: 0.02,
                    delta: 0.1,
                    seed: 11,
                    ..Default::default()
                },
            )
            .unwrap();
            let worst = exact
                .0
                .iter()
                .zip(&approx.scores.0)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                worst <= approx.error_bound,
                "{name} {length:?}: error {worst} above the bound {}",
                approx.error_bound
            );
        }
    }
}

fn naive_brokerage(g: &Graph, group: &[u32]) -> Vec<Brokerage> {
    let n = g.n();
    let mut out = vec![Brokerage::default(); n];
    for a in 0..n {
        for b in 0..n {
            for c in 0..n {
                if a == b || b == c || a == c {
                    continue;
                }
                if g.weight(a, b).is_none() || g.weight(b, c).is_none() || g.weight(a, c).is_some()
                {
                    continue;
                }
                let (ga, gb, gc) = (group[a], group[b], group[c]);
                let r = &mut out[b];
                if ga == gb && gb == gc {
                    r.coordinator += 1;
                } else if ga == gc {
                    r.itinerant += 1;
                } else if ga == gb {
                    r.representative += 1;
                } else if gb == gc {
                    r.gatekeeper += 1;
                } else {
                    r.liaison += 1;
                }
            }
        }
    }
    out
}

#[test]
fn brokerage_matches_the_naive_triple_loop() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
    for case in 0..120 {
        let n = 1 + case % 18;
        let g = random_graph(&mut rng, n, [0.1, 0.25, 0.5][case % 3]);
        let group: Vec<u32> = (0..n).map(|_| rng.random_range(0..3)).collect();
        assert_eq!(
            brokerage(&g, &group).unwrap(),
            naive_brokerage(&g, &group),
            "case {case}"
        );
    }
}
