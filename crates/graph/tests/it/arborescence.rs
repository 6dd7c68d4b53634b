//! Maximum branching: against networkx's `maximum_spanning_arborescence` (totals stored as data,
//! made by `tests/reference/make_arborescence_reference.py`), against every branching of random
//! small graphs, and on edge cases.

use graph::arborescence::{maximum_branching, maximum_branching_from_best};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// How good a branching is: roots whose root weight is not finite (fewer is better), then the
/// total weight. Panics unless `parents` is a branching over the usable arcs.
fn score(
    n: usize,
    arcs: &[(u32, u32, f64)],
    root_weight: &[f64],
    parents: &[Option<u32>],
) -> (usize, f64) {
    assert_eq!(parents.len(), n, "one parent slot per node");
    let mut forced_roots = 0;
    let mut total = 0.0;
    for (v, parent) in parents.iter().enumerate() {
        match *parent {
            None if root_weight[v].is_finite() => total += root_weight[v],
            None => forced_roots += 1,
            Some(p) => {
                let best = arcs
                    .iter()
                    .filter(|&&(a, b, w)| a == p && b as usize == v && a != b && w.is_finite())
                    .map(|a| a.2)
                    .max_by(f64::total_cmp);
                total += best.unwrap_or_else(|| panic!("{p} → {v} is not a usable arc"));
            }
        }
    }
    for start in 0..n {
        let mut v = start;
        for _ in 0..n {
            match parents[v] {
                Some(p) => v = p as usize,
                None => break,
            }
        }
        assert!(parents[v].is_none(), "cycle through node {start}");
    }
    (forced_roots, total)
}

/// The best score over every assignment of at most one usable parent per node without cycles.
fn brute_force(n: usize, arcs: &[(u32, u32, f64)], root_weight: &[f64]) -> (usize, f64) {
    let mut options: Vec<Vec<Option<u32>>> = vec![vec![None]; n];
    for &(p, c, w) in arcs {
        if p != c && w.is_finite() && !options[c as usize].contains(&Some(p)) {
            options[c as usize].push(Some(p));
        }
    }
    let mut best: Option<(usize, f64)> = None;
    let mut choice = vec![0usize; n];
    'all: loop {
        let parents: Vec<Option<u32>> = (0..n).map(|v| options[v][choice[v]]).collect();
        let acyclic = (0..n).all(|start| {
            let mut v = start;
            for _ in 0..n {
                match parents[v] {
                    Some(p) => v = p as usize,
                    None => return true,
                }
            }
            false
        });
        if acyclic {
            let s = score(n, arcs, root_weight, &parents);
            if best.is_none_or(|b| s.0 < b.0 || (s.0 == b.0 && s.1 > b.1)) {
                best = Some(s);
            }
        }
        for v in 0..n {
            choice[v] += 1;
            if choice[v] < options[v].len() {
                continue 'all;
            }
            choice[v] = 0;
        }
        break;
    }
    best.expect("all roots is always a branching")
}

fn check(n: usize, arcs: &[(u32, u32, f64)], root_weight: &[f64], want: &[Option<u32>]) {
    let got = maximum_branching(n, arcs, root_weight);
    assert_eq!(got, want, "arcs {arcs:?}, root weights {root_weight:?}");
    score(n, arcs, root_weight, &got);
}

#[test]
fn branching_is_optimal_against_every_branching_of_random_small_graphs() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
    let weight = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus, case: usize| -> f64 {
        match rng.random_range(0..40) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            // Whole numbers in every other case, so that ties are common.
            _ if case.is_multiple_of(2) => rng.random_range(-2..4) as f64,
            _ => rng.random_range(-2.0..3.0),
        }
    };
    for case in 0..600 {
        let n = 1 + case % 6;
        let n_arcs = rng.random_range(0..=n * n + 2);
        let arcs: Vec<(u32, u32, f64)> = (0..n_arcs)
            .map(|_| {
                let p = rng.random_range(0..n as u32);
                let c = rng.random_range(0..n as u32);
                (p, c, weight(&mut rng, case))
            })
            .collect();
        let root_weight: Vec<f64> = (0..n).map(|_| weight(&mut rng, case)).collect();
        let got = maximum_branching(n, &arcs, &root_weight);
        let (forced, total) = score(n, &arcs, &root_weight, &got);
        let (best_forced, best_total) = brute_force(n, &arcs, &root_weight);
        assert_eq!(
            forced, best_forced,
            "case {case}: roots forced by a non-finite root weight"
        );
        assert!(
            (total - best_total).abs() <= 1e-9,
            "case {case}: total {total} vs best {best_total}; arcs {arcs:?}, root weights \
             {root_weight:?}, parents {got:?}"
        );
        // Solving first on each node's best one or two arcs and widening where the dual says an
        // arc left out could improve the branching gives an optimal branching too.
        for first in [0, 1, 2] {
            let narrow = maximum_branching_from_best(n, &arcs, &root_weight, first);
            let (f, t) = score(n, &arcs, &root_weight, &narrow);
            assert_eq!(f, best_forced, "case {case}, first {first}: forced roots");
            assert!(
                (t - best_total).abs() <= 1e-9,
                "case {case}, first {first}: total {t} vs best {best_total}; arcs {arcs:?}, \
                 root weights {root_weight:?}, parents {narrow:?}"
            );
        }
        // The result depends on the arcs, not on their order.
        let mut shuffled = arcs.clone();
        shuffled.shuffle(&mut rng);
        assert_eq!(
            maximum_branching(n, &shuffled, &root_weight),
            got,
            "case {case}: arc order"
        );
    }
}

#[test]
fn branching_total_matches_networkx() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/arborescence.json"
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let graphs = r["graphs"].as_object().unwrap();
    assert_eq!(graphs.len(), 4);
    for (name, g) in graphs {
        let n = g["n"].as_u64().unwrap() as usize;
        let arcs: Vec<(u32, u32, f64)> = g["arcs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a[0].as_u64().unwrap() as u32,
                    a[1].as_u64().unwrap() as u32,
                    a[2].as_f64().unwrap(),
                )
            })
            .collect();
        let root_weight = super::floats(&g["root_weight"]);
        let parents = maximum_branching(n, &arcs, &root_weight);
        let (forced, total) = score(n, &arcs, &root_weight, &parents);
        let want = g["total"].as_f64().unwrap();
        assert_eq!(forced, 0, "{name}");
        assert!(
            (total - want).abs() <= 1e-9,
            "{name}: total {total} vs networkx {want}"
        );
    }
}

#[test]
fn branching_edge_cases() {
    check(0, &[], &[], &[]);
    // Without arcs every node is a root, whatever its root weight.
    check(3, &[], &[1.0, -1.0, 0.0], &[None, None, None]);
    // Arcs that are not finite, and self-loops, are ignored.
    check(
        3,
        &[(0, 1, f64::NAN), (0, 2, f64::INFINITY), (1, 1, 9.0)],
        &[0.0; 3],
        &[None; 3],
    );
    check(
        3,
        &[(0, 1, f64::NAN), (2, 1, 1.0), (0, 2, f64::NEG_INFINITY)],
        &[0.0; 3],
        &[None, Some(2), None],
    );
    // A 2-cycle is broken where it loses least: 0 → 1 (5) beats 1 → 0 (4).
    check(
        2,
        &[(0, 1, 5.0), (1, 0, 4.0)],
        &[1.0, 1.0],
        &[None, Some(0)],
    );
    // ... and dropped altogether when being a root is worth more than either arc.
    check(2, &[(0, 1, 5.0), (1, 0, 4.0)], &[6.0, 6.0], &[None, None]);
    // A loss is taken when the root weight is a bigger loss.
    check(2, &[(0, 1, -1.0)], &[0.0, -2.0], &[None, Some(0)]);
    // Of parallel arcs the best counts.
    check(
        3,
        &[(0, 2, 1.0), (1, 2, 2.0), (0, 2, 3.0), (0, 2, f64::NAN)],
        &[0.0; 3],
        &[None, None, Some(0)],
    );
    // Ties go to the lower parent; the virtual root counts as index n.
    check(
        3,
        &[(1, 2, 1.0), (0, 2, 1.0)],
        &[0.0; 3],
        &[None, None, Some(0)],
    );
    check(2, &[(0, 1, 2.0)], &[0.0, 2.0], &[None, Some(0)]);
    // A non-finite root weight keeps a node from being a root wherever it can have a parent,
    // even at a loss, and adds nothing when it cannot.
    check(2, &[(0, 1, -5.0)], &[0.0, f64::NAN], &[None, Some(0)]);
    check(
        2,
        &[(0, 1, 1.0)],
        &[f64::NEG_INFINITY, f64::INFINITY],
        &[None, Some(0)],
    );
    // Two nodes that can only be parents of each other: one of them stays a root.
    let got = maximum_branching(2, &[(0, 1, 1.0), (1, 0, 3.0)], &[f64::NAN, f64::NAN]);
    assert_eq!(got, vec![Some(1), None]);
}

/// An arc lighter than its child's root weight is in no best branching, so leaving such arcs
/// out (as `mirror::hierarchy` does) gives the same branching, on random graphs large enough to
/// contract many cycles.
#[test]
fn arcs_lighter_than_their_childs_root_weight_change_nothing() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(99);
    for round in 0..200 {
        let n = rng.random_range(2..60usize);
        let m = rng.random_range(0..n * 6);
        let arcs: Vec<(u32, u32, f64)> = (0..m)
            .map(|_| {
                (
                    rng.random_range(0..n as u32),
                    rng.random_range(0..n as u32),
                    -rng.random::<f64>() * 20.0,
                )
            })
            .collect();
        let root: Vec<f64> = (0..n).map(|_| -rng.random::<f64>() * 20.0).collect();
        let pruned: Vec<(u32, u32, f64)> = arcs
            .iter()
            .copied()
            .filter(|&(_, c, w)| w >= root[c as usize])
            .collect();
        assert_eq!(
            maximum_branching(n, &arcs, &root),
            maximum_branching(n, &pruned, &root),
            "round {round}: {} arcs, {} kept",
            arcs.len(),
            pruned.len()
        );
    }
}

/// Larger graphs than brute force reaches, shaped like the inferred hierarchy's input (every
/// node a candidate of dozens of others, cycles everywhere, most arcs left out of the first
/// solve): the widened solve from each node's best 1, 2 or 16 arcs has the total of the solve
/// over every arc, and with weights in general position (no ties) the same parents.
#[test]
fn solving_on_the_best_arcs_first_loses_nothing_on_large_graphs() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    for round in 0..30 {
        let n = rng.random_range(50..400usize);
        let degree = rng.random_range(2..40usize);
        let mut arcs = Vec::new();
        for c in 0..n as u32 {
            for _ in 0..degree {
                let p = rng.random_range(0..n as u32);
                // Log-probabilities, as the inferred hierarchy gives: mostly small, a few large.
                let w = (rng.random::<f64>().powi(3) + 1e-6).ln();
                arcs.push((p, c, w));
            }
        }
        let root: Vec<f64> = (0..n)
            .map(|_| {
                if round % 3 == 0 {
                    -20.0 - rng.random::<f64>()
                } else {
                    (rng.random::<f64>() * 0.3 + 1e-9).ln()
                }
            })
            .collect();
        let full = maximum_branching_from_best(n, &arcs, &root, usize::MAX);
        let (f_full, t_full) = score(n, &arcs, &root, &full);
        for first in [1, 2, 16] {
            let got = maximum_branching_from_best(n, &arcs, &root, first);
            let (f, t) = score(n, &arcs, &root, &got);
            assert_eq!(f, f_full, "round {round}, first {first}");
            assert!(
                (t - t_full).abs() <= 1e-9 * t_full.abs().max(1.0),
                "round {round}, first {first}: total {t} vs {t_full}"
            );
            assert_eq!(got, full, "round {round}, first {first}: parents");
        }
    }
}
