//! A deterministic layout that shows communities: each community is a disc whose area is its
//! size, discs are placed by a force layout of the community graph (strongly tied communities
//! end up side by side) and then pushed apart until none overlap, and the people of a community
//! fill its disc on a sunflower spiral with the most influential at the centre.
//!
//! It runs in O(k² · iterations) for k communities (at most [`MAX_FORCE_COMMUNITIES`] take part
//! in the force layout; smaller ones are set on an outer ring) plus O(n log n) for the people,
//! and the same input always gives the same picture.

use rustc_hash::FxHashMap;

/// Communities beyond this many (by size) are placed on a ring instead of in the force layout.
pub const MAX_FORCE_COMMUNITIES: usize = 600;

/// Distance between neighbouring people inside a disc.
const SPACING: f64 = 1.0;

/// Positions for `n` people with `community[i]`, ordered inside a community by `importance`
/// (largest at the centre), with `edges` (a, b, weight) between people.
pub fn layout(community: &[u32], importance: &[f64], edges: &[(u32, u32, f64)]) -> Vec<[f32; 2]> {
    let n = community.len();
    if n == 0 {
        return Vec::new();
    }
    // Dense community ids, largest first (ties by id, so the order is the same every run).
    let mut sizes: FxHashMap<u32, usize> = FxHashMap::default();
    for &c in community {
        *sizes.entry(c).or_default() += 1;
    }
    let mut comms: Vec<(u32, usize)> = sizes.into_iter().collect();
    comms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let dense: FxHashMap<u32, usize> = comms.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
    let k = comms.len();
    let radius: Vec<f64> = comms
        .iter()
        .map(|c| SPACING * (c.1 as f64).sqrt() * 0.62 + SPACING)
        .collect();

    // The community graph.
    let mut between: FxHashMap<(usize, usize), f64> = FxHashMap::default();
    for &(a, b, w) in edges {
        let (ca, cb) = (dense[&community[a as usize]], dense[&community[b as usize]]);
        if ca != cb {
            *between.entry((ca.min(cb), ca.max(cb))).or_default() += w;
        }
    }
    let mut cedges: Vec<(usize, usize, f64)> =
        between.into_iter().map(|((a, b), w)| (a, b, w)).collect();
    cedges.sort_by_key(|e| (e.0, e.1));
    let max_w = cedges.iter().map(|e| e.2).fold(0.0, f64::max).max(1e-9);

    let m = k.min(MAX_FORCE_COMMUNITIES);
    let mut centre = place_communities(&radius[..m], &cedges, max_w);
    // The rest on a ring outside everything placed so far.
    if k > m {
        let outer = centre
            .iter()
            .zip(&radius)
            .map(|(p, r)| (p[0] * p[0] + p[1] * p[1]).sqrt() + r)
            .fold(0.0, f64::max)
            + 4.0 * SPACING;
        let ring: f64 = radius[m..].iter().map(|r| 2.0 * r + SPACING).sum();
        let ring_r = outer.max(ring / std::f64::consts::TAU);
        let mut along = 0.0;
        for r in &radius[m..] {
            along += r + SPACING / 2.0;
            let a = along / ring_r;
            centre.push([ring_r * a.cos(), ring_r * a.sin()]);
            along += r + SPACING / 2.0;
        }
    }

    // People on each community's sunflower, most important first.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); k];
    for (i, &c) in community.iter().enumerate() {
        members[dense[&c]].push(i as u32);
    }
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let mut pos = vec![[0f32; 2]; n];
    for (c, list) in members.iter_mut().enumerate() {
        list.sort_by(|&a, &b| {
            importance[b as usize]
                .total_cmp(&importance[a as usize])
                .then(a.cmp(&b))
        });
        for (j, &p) in list.iter().enumerate() {
            let r = SPACING * 0.6 * (j as f64 + 0.5).sqrt();
            let a = j as f64 * golden;
            pos[p as usize] = [
                (centre[c][0] + r * a.cos()) as f32,
                (centre[c][1] + r * a.sin()) as f32,
            ];
        }
    }
    pos
}

/// Fruchterman–Reingold on the community graph with discs of `radius`, then overlap removal.
fn place_communities(radius: &[f64], edges: &[(usize, usize, f64)], max_w: f64) -> Vec<[f64; 2]> {
    let k = radius.len();
    let total: f64 = radius.iter().map(|r| r * r).sum::<f64>().sqrt();
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let mut pos: Vec<[f64; 2]> = (0..k)
        .map(|i| {
            let r = total * ((i as f64 + 0.5) / k as f64).sqrt() * 1.5;
            let a = i as f64 * golden;
            [r * a.cos(), r * a.sin()]
        })
        .collect();
    if k <= 1 {
        return vec![[0.0, 0.0]; k];
    }
    let iterations = 250;
    let mut disp = vec![[0f64; 2]; k];
    for it in 0..iterations {
        let temperature = total * 0.5 * (1.0 - it as f64 / iterations as f64) + 1e-3;
        for d in disp.iter_mut() {
            *d = [0.0, 0.0];
        }
        for i in 0..k {
            for j in i + 1..k {
                let dx = pos[i][0] - pos[j][0];
                let dy = pos[i][1] - pos[j][1];
                let d2 = (dx * dx + dy * dy).max(1e-6);
                let ideal = radius[i] + radius[j] + SPACING;
                let f = ideal * ideal / d2;
                disp[i][0] += dx * f;
                disp[i][1] += dy * f;
                disp[j][0] -= dx * f;
                disp[j][1] -= dy * f;
            }
        }
        for &(a, b, w) in edges {
            if a >= k || b >= k {
                continue;
            }
            let dx = pos[a][0] - pos[b][0];
            let dy = pos[a][1] - pos[b][1];
            let d = (dx * dx + dy * dy).sqrt().max(1e-6);
            let ideal = radius[a] + radius[b] + SPACING;
            let strength = 0.2 + 2.0 * (w / max_w).sqrt();
            let f = strength * d / ideal;
            disp[a][0] -= dx * f;
            disp[a][1] -= dy * f;
            disp[b][0] += dx * f;
            disp[b][1] += dy * f;
        }
        for i in 0..k {
            // Gravity keeps loose communities from drifting off.
            disp[i][0] -= pos[i][0] * 0.02;
            disp[i][1] -= pos[i][1] * 0.02;
            let len = (disp[i][0] * disp[i][0] + disp[i][1] * disp[i][1]).sqrt();
            if len > 0.0 {
                let step = len.min(temperature);
                pos[i][0] += disp[i][0] / len * step;
                pos[i][1] += disp[i][1] / len * step;
            }
        }
    }
    // Remove overlaps: push every overlapping pair apart along the line between them.
    for _ in 0..200 {
        let mut moved = false;
        for i in 0..k {
            for j in i + 1..k {
                let dx = pos[j][0] - pos[i][0];
                let dy = pos[j][1] - pos[i][1];
                let d = (dx * dx + dy * dy).sqrt();
                let need = radius[i] + radius[j] + SPACING * 0.8;
                if d < need {
                    moved = true;
                    let (ux, uy) = if d > 1e-9 {
                        (dx / d, dy / d)
                    } else {
                        let a = (i * 7 + j) as f64;
                        (a.cos(), a.sin())
                    };
                    let push = (need - d) / 2.0;
                    pos[i][0] -= ux * push;
                    pos[i][1] -= uy * push;
                    pos[j][0] += ux * push;
                    pos[j][1] += uy * push;
                }
            }
        }
        if !moved {
            break;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
    }

    #[test]
    fn communities_are_apart_and_people_inside_their_disc() {
        // Three cliques of 30, 20 and 10, a weak tie from the first to the others.
        let mut community = Vec::new();
        let mut edges = Vec::new();
        let mut start = 0u32;
        for (c, size) in [30u32, 20, 10].into_iter().enumerate() {
            for i in 0..size {
                community.push(c as u32);
                for j in 0..i {
                    edges.push((start + j, start + i, 1.0));
                }
            }
            start += size;
        }
        edges.push((0, 30, 1.0));
        edges.push((0, 50, 1.0));
        let importance: Vec<f64> = (0..60).map(|i| (i % 7) as f64).collect();
        let pos = layout(&community, &importance, &edges);
        assert_eq!(pos.len(), 60);
        let centre = |c: u32| {
            let pts: Vec<[f32; 2]> = (0..60)
                .filter(|&i| community[i] == c)
                .map(|i| pos[i])
                .collect();
            let n = pts.len() as f32;
            [
                pts.iter().map(|p| p[0]).sum::<f32>() / n,
                pts.iter().map(|p| p[1]).sum::<f32>() / n,
            ]
        };
        // Every person is nearer their own community's centre than any other's.
        for i in 0..60 {
            let own = dist(pos[i], centre(community[i]));
            for c in 0..3 {
                if c != community[i] {
                    assert!(own < dist(pos[i], centre(c)), "person {i}");
                }
            }
        }
        // No two people on the same spot.
        for i in 0..60 {
            for j in 0..i {
                assert!(dist(pos[i], pos[j]) > 0.1, "{i} and {j} overlap");
            }
        }
        // The same input gives the same picture.
        assert_eq!(pos, layout(&community, &importance, &edges));
    }

    #[test]
    fn many_small_communities_go_on_a_ring() {
        let n = MAX_FORCE_COMMUNITIES + 50;
        let community: Vec<u32> = (0..n as u32).collect();
        let importance = vec![1.0; n];
        let pos = layout(&community, &importance, &[]);
        assert!(pos.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
        for i in 0..n {
            for j in 0..i {
                assert!(dist(pos[i], pos[j]) > 0.5, "{i} and {j} overlap");
            }
        }
    }
}
