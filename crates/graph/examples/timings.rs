//! Times one algorithm of the graph engine on an edge list, for `bench/graph.py`, which runs the
//! same algorithm in igraph, NetworKit and rustworkx on the same file.
//!
//!     cargo run --release -p graph --example timings -- EDGES ALGORITHM [SEED] [KATZ_ALPHA]
//!
//! EDGES holds `source target [weight]` rows of 0-based integer node ids (whitespace or commas,
//! a header line is skipped). Prints one JSON line: the best time of up to five runs (stopping
//! once a second is spent; reading the file and building the graph excluded, except for `build`,
//! which times building the graph from edges already in memory) and a checksum of the result,
//! so that the bench can compare answers across tools.

use graph::Graph;
use graph::betweenness::{
    ApproximateOptions, BetweennessOptions, approximate_betweenness, betweenness,
};
use graph::closeness::{closeness, harmonic};
use graph::clustering::clustering;
use graph::community::{CommunityOptions, Quality, Symmetrize, leiden, louvain};
use graph::components::{strong_components, weak_components};
use graph::constraint::structural_holes;
use graph::core::core_numbers;
use graph::page_rank::{PageRankOptions, page_rank};
use graph::paths::Length;
use graph::spectral::{PowerOptions, eigenvector, hits, katz, spectral_radius};
use std::time::Instant;

fn read(path: &str) -> (usize, Vec<(u32, u32, f64)>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut edges = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        let mut f = line
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|s| !s.is_empty());
        let (Some(a), Some(b)) = (f.next(), f.next()) else {
            continue;
        };
        let (Ok(u), Ok(v)) = (a.parse::<u32>(), b.parse::<u32>()) else {
            continue; // header or comment
        };
        let w = f.next().map(|w| w.parse().unwrap()).unwrap_or(1.0);
        if u != v {
            n = n.max(u.max(v) as usize + 1);
            edges.push((u, v, w));
        }
    }
    (n, edges)
}

fn sum(x: &[f64]) -> f64 {
    x.iter().filter(|v| v.is_finite()).sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: timings EDGES ALGORITHM [SEED]");
        std::process::exit(2);
    }
    let seed: u64 = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(0);
    let alpha: Option<f64> = args.get(4).map(|s| s.parse().unwrap());
    // The bench sets the same ε for every tool.
    let epsilon: f64 = std::env::var("BENCH_EPSILON")
        .map(|e| e.parse().expect("BENCH_EPSILON is a number"))
        .unwrap_or(0.01);
    let (n, edges) = read(&args[1]);
    let m = edges.len();
    let directed = Graph::from_edges(n, edges.clone()).unwrap();
    // Undirected algorithms get every tie both ways, weights of u→v and v→u summed.
    let undirected = directed.to_undirected();
    let power = PowerOptions {
        tolerance: 1e-8,
        max_iterations: 10_000,
    };
    let run = || -> (f64, String) {
        match args[2].as_str() {
            "build" => (
                Graph::from_edges(n, edges.clone()).unwrap().m() as f64,
                String::new(),
            ),
            "pagerank" => {
                let opts = PageRankOptions {
                    tolerance: 1e-10,
                    ..Default::default()
                };
                (sum(&page_rank(&directed, &opts).unwrap().0), String::new())
            }
            "betweenness" => {
                let b = betweenness(
                    &directed,
                    &BetweennessOptions {
                        length: Length::Hops,
                        normalized: false,
                    },
                );
                (sum(&b.0), String::new())
            }
            "betweenness_approx" => {
                let a = approximate_betweenness(
                    &directed,
                    &ApproximateOptions {
                        epsilon,
                        delta: 0.1,
                        seed,
                        ..Default::default()
                    },
                )
                .unwrap();
                (sum(&a.scores.0), format!(",\"samples\":{}", a.samples))
            }
            "closeness" => (sum(&closeness(&directed, Length::Hops).0), String::new()),
            "harmonic" => (sum(&harmonic(&directed, Length::Hops).0), String::new()),
            "eigenvector" => (
                sum(&eigenvector(&undirected, &power).unwrap().0),
                String::new(),
            ),
            "hits" => {
                let (h, _) = hits(&directed, &power).unwrap();
                (sum(&h.0), String::new())
            }
            "katz" => {
                let alpha = alpha.unwrap_or_else(|| 0.5 / spectral_radius(&directed, &power));
                let k = katz(&directed, alpha, 1.0, &power).unwrap();
                (sum(&k.0), String::new())
            }
            "clustering" => (sum(&clustering(&undirected, false).0), String::new()),
            "core" => (
                core_numbers(&undirected).iter().map(|&c| c as f64).sum(),
                String::new(),
            ),
            "weak_components" => (
                weak_components(&directed)
                    .iter()
                    .max()
                    .map_or(0, |&c| c + 1) as f64,
                String::new(),
            ),
            "strong_components" => (
                strong_components(&directed)
                    .iter()
                    .max()
                    .map_or(0, |&c| c + 1) as f64,
                String::new(),
            ),
            "constraint" => (
                sum(&structural_holes(&undirected).constraint.0),
                String::new(),
            ),
            "leiden" | "louvain" => {
                let opts = CommunityOptions {
                    quality: Quality::Modularity,
                    seed,
                    symmetrize: Symmetrize::AsGiven,
                    ..Default::default()
                };
                let p = if args[2] == "leiden" {
                    leiden(&undirected, &opts).unwrap()
                } else {
                    louvain(&undirected, &opts).unwrap()
                };
                (p.quality, format!(",\"communities\":{}", p.count))
            }
            other => {
                eprintln!("unknown algorithm {other}");
                std::process::exit(2);
            }
        }
    };
    let (mut seconds, mut spent, mut runs) = (f64::INFINITY, 0.0, 0);
    let mut result = (0.0, String::new());
    while runs < 5 && (runs == 0 || spent < 1.0) {
        let start = Instant::now();
        result = run();
        let t = start.elapsed().as_secs_f64();
        seconds = seconds.min(t);
        spent += t;
        runs += 1;
    }
    let (check, extra) = result;
    // Peak resident memory of this process (VmHWM belongs to the address space made at exec, so
    // it does not count the parent that spawned us).
    let mib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0);
    println!(
        "{{\"tool\":\"orgmirror\",\"n\":{n},\"m\":{m},\"seconds\":{seconds},\"check\":{check},\"mib\":{mib}{extra}}}"
    );
}
