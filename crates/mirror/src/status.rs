//! Status: who ranks above whom, learned from real organizations.
//!
//! Between a boss and a report, who writes more to whom is close to a coin flip, so status is
//! read from how sought-after and how central a person is, and the pair's own exchange is only
//! one more, weak, piece of evidence.
//!
//! **Deference graph.** An arc x → y says that x turned to y: x wrote to y (messages, replies,
//! notes, weighted by role: To 1, Cc ½, Bcc 0), asked y (requests), received y's feedback,
//! help or decisions (so a code review by y of x's change is x → y), or named y in a survey under
//! advice, information, expertise, sign-off or cannot-decline (weighted by the answer's weight).
//! Survey arcs are *reported* ties: they count for the people named, never for how many people
//! a respondent names (that says more about how a form is filled in than about standing).
//!
//! **Features** (each a percentile within the organization, ties sharing their mean rank, so
//! that organizations of any size and any kind of data speak the same units; a feature the
//! data does not carry is ½ for everyone and so says nothing). Reported ties (surveys) and
//! behaviour are kept apart, because the same centrality does not weigh the same in both:
//! - `named_by`, `named_rank`, `named_authority`: in survey answers, distinct people who name
//!   the person, PageRank and HITS authority;
//! - `seekers`: in behaviour, distinct people who turn to the person;
//! - `sought_weight`: how much they do (in-strength, log);
//! - `sought_rank`: PageRank of the deference graph;
//! - `authority`: HITS authority of the deference graph;
//! - `reach`: distinct people the person turns to, by behaviour only;
//! - `hub`: HITS hub score of the behavioural deference graph;
//! - `reply_slowness`: the person's own median reply latency (slower is higher);
//! - `to_share`: the share of mail the person receives as To rather than Cc.
//!
//! **Model.** A person's strength is `s = Σ βₖ fₖ`; the probability that a ranks above b is
//! `σ(s_a − s_b + γ · balance_ab)`, where `balance_ab` ∈ [−1, 1] is the pair's own dyadic balance
//! (see `dyads`). β and γ are fitted by penalized pairwise logistic regression on real labelled
//! organizations ([`fit`]), each data set weighing the same; the weights ship in
//! `status-weights.json` (versioned, with what fitted them and how well) and a workspace can
//! refit them on its own chart (`orgmirror calibrate`).

use crate::input::{Evidence, Org};
use crate::stats::percentiles;
use graph::Graph;
use graph::degree::{in_degree, in_strength, out_degree};
use graph::page_rank::{PageRankOptions, page_rank};
use graph::spectral::{PowerOptions, hits};
use serde::{Deserialize, Serialize};
use vocab::Question;

/// Feature names, in the order of [`Features::values`].
pub const FEATURES: [&str; K] = [
    "named_by",
    "named_rank",
    "named_authority",
    "seekers",
    "sought_weight",
    "sought_rank",
    "authority",
    "reach",
    "hub",
    "reply_slowness",
    "to_share",
];
pub const K: usize = 11;
/// The features' columns in the `people` table.
pub const FEATURE_COLUMNS: [&str; K] = [
    "status_named_by",
    "status_named_rank",
    "status_named_authority",
    "status_seekers",
    "status_sought_weight",
    "status_sought_rank",
    "status_authority",
    "status_reach",
    "status_hub",
    "status_reply_slowness",
    "status_to_share",
];

/// The weights shipped with orgmirror, fitted by `scripts/fit-status.sh`.
pub const SHIPPED: &str = include_str!("../status-weights.json");

/// Per-person features, percentiles in [0, 1].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub values: Vec<[f64; K]>,
    /// Which features the data carried (varied across people).
    pub present: [bool; K],
}

impl Features {
    /// Features from stored values; a feature is present when anyone's value differs from ½ (an
    /// absent feature is ½ for everyone, a present one is a spread of percentiles).
    pub fn from_values(values: Vec<[f64; K]>) -> Features {
        let mut present = [false; K];
        for (k, slot) in present.iter_mut().enumerate() {
            *slot = values.iter().any(|v| v[k] != 0.5);
        }
        Features { values, present }
    }
}

/// Survey questions that say whom the respondent turns to.
pub fn is_deference_question(q: &Question) -> bool {
    matches!(
        q,
        Question::Advice
            | Question::Information
            | Question::Expertise
            | Question::Decision
            | Question::CannotDecline
    )
}

/// The deference graph (x → y: x turned to y): survey answers, and behaviour.
pub fn deference_graphs(org: &Org, ev: &Evidence) -> (Graph, Graph) {
    let n = org.n() as u32;
    let mut all = Vec::with_capacity(ev.survey.len());
    let mut behaviour = Vec::with_capacity(ev.len());
    for p in ev.pairs() {
        if p.a >= n || p.b >= n || p.a == p.b {
            continue;
        }
        // What a did toward b that says a turned to b.
        let toward = p.request + p.feedback_asked + written(&p);
        if toward > 0.0 {
            behaviour.push((p.a, p.b, toward));
        }
        // What a gave b that says b turned to a.
        let given = p.feedback_given + p.help + p.decision;
        if given > 0.0 {
            behaviour.push((p.b, p.a, given));
        }
    }
    for (&(r, c), w) in &ev.survey {
        if r >= n || c >= n || r == c {
            continue;
        }
        let named: f64 = crate::input::SURVEY_QUESTIONS
            .iter()
            .filter(|q| is_deference_question(q))
            .map(|q| w[crate::input::question_slot(q)])
            .sum();
        if named > 0.0 {
            all.push((r, c, named));
        }
    }
    (
        Graph::from_edges(n as usize, all).expect("indices checked"),
        Graph::from_edges(n as usize, behaviour).expect("indices checked"),
    )
}

/// What a wrote to b besides requests, feedback, decisions and declines (messages, replies,
/// notes, analytics ties; meetings are co-attendance and do not count), weighted by role: To (or
/// no role) 1, Cc ½, Bcc 0. Weighted rows count by their weight.
fn written(p: &crate::input::Pair) -> f64 {
    let directed = p.request + p.feedback_given + p.feedback_asked + p.decision + p.decline;
    let addressed = p.to + p.cc + p.bcc;
    let role_weight = if addressed > 0.0 {
        (p.to + 0.5 * p.cc) / addressed
    } else {
        1.0
    };
    (p.w_communication - directed).max(0.0) * role_weight
}

fn hubs_and_authorities(g: &Graph) -> (Vec<f64>, Vec<f64>) {
    let opts = PowerOptions {
        tolerance: 1e-10,
        max_iterations: 1000,
    };
    let a = match hits(g, &opts) {
        Ok((h, a)) => return (h.0, a.0),
        Err(e) => e.0.0,
    };
    let h = (0..g.n())
        .map(|u| g.out_edges(u).map(|(v, w)| w * a[v]).sum())
        .collect();
    (h, a)
}

/// Features of every person in one window. `reply_latency_s` and `to_share` per person come
/// from the people stage (None where the data has none).
pub fn features(
    org: &Org,
    ev: &Evidence,
    reply_latency_s: &[Option<f64>],
    to_share: &[Option<f64>],
) -> Features {
    let n = org.n();
    let (survey, behaviour) = deference_graphs(org, ev);
    let rank = |g: &Graph| {
        page_rank(
            g,
            &PageRankOptions {
                tolerance: 1e-10,
                ..Default::default()
            },
        )
        .map(|s| s.0)
        .unwrap_or_else(|_| vec![0.0; n])
    };
    let weight: Vec<f64> = in_strength(&behaviour)
        .0
        .iter()
        .map(|w| w.ln_1p())
        .collect();
    let (_, named_authority) = hubs_and_authorities(&survey);
    let (hub, authority) = hubs_and_authorities(&behaviour);
    let reach = out_degree(&behaviour).0;
    let slowness: Vec<f64> = reply_latency_s
        .iter()
        .map(|l| l.unwrap_or(f64::NAN))
        .collect();
    let to: Vec<f64> = to_share.iter().map(|s| s.unwrap_or(f64::NAN)).collect();
    let columns: [Vec<f64>; K] = [
        in_degree(&survey).0,
        rank(&survey),
        named_authority,
        in_degree(&behaviour).0,
        weight,
        rank(&behaviour),
        authority,
        reach,
        hub,
        slowness,
        to,
    ];
    let mut present = [false; K];
    let mut values = vec![[0.5; K]; n];
    for (k, column) in columns.iter().enumerate() {
        let known: Vec<usize> = (0..n).filter(|&p| column[p].is_finite()).collect();
        let first = known.first().map(|&p| column[p]);
        if known.len() < 2 || known.iter().all(|&p| Some(column[p]) == first) {
            continue;
        }
        present[k] = true;
        // Percentiles among those who have the value; the others sit at the middle.
        let pct = percentiles(&known.iter().map(|&p| column[p]).collect::<Vec<_>>());
        for (i, &p) in known.iter().enumerate() {
            values[p][k] = pct[i];
        }
    }
    Features { values, present }
}

/// Fitted weights: a person's strength and the pair term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusModel {
    pub version: u32,
    /// What fitted these weights (data sets, or "workspace").
    pub fitted_on: Vec<String>,
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    /// γ: the weight of the pair's own balance.
    pub pair_weight: f64,
    /// L2 penalty used in the fit.
    pub l2: f64,
    /// The factor the fitted weights were scaled by so that probabilities hold on organizations
    /// the fit did not see (1 = none); already applied to `weights` and `pair_weight`.
    #[serde(default = "one")]
    pub temperature: f64,
    /// Free text: how, when, and how well (leave-one-data-set-out).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("status weights: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("status weights: feature {0:?} is not one orgmirror computes ({1})")]
    UnknownFeature(String, String),
    #[error("status weights: {0} weights for {1} features")]
    Length(usize, usize),
    #[error("status weights: weight of {0:?} is not finite")]
    NotFinite(String),
}

impl StatusModel {
    pub fn shipped() -> StatusModel {
        StatusModel::from_json(SHIPPED).expect("the shipped status weights are valid")
    }

    pub fn from_json(text: &str) -> Result<StatusModel, ModelError> {
        let m: StatusModel = serde_json::from_str(text)?;
        if m.features.len() != m.weights.len() {
            return Err(ModelError::Length(m.weights.len(), m.features.len()));
        }
        for (f, w) in m.features.iter().zip(&m.weights) {
            if !FEATURES.contains(&f.as_str()) {
                return Err(ModelError::UnknownFeature(f.clone(), FEATURES.join(", ")));
            }
            if !w.is_finite() {
                return Err(ModelError::NotFinite(f.clone()));
            }
        }
        if !m.pair_weight.is_finite() {
            return Err(ModelError::NotFinite("pair_weight".into()));
        }
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serializable") + "\n"
    }

    /// β in [`FEATURES`] order (features the file does not name weigh 0).
    pub fn beta(&self) -> [f64; K] {
        let mut b = [0.0; K];
        for (f, w) in self.features.iter().zip(&self.weights) {
            if let Some(k) = FEATURES.iter().position(|x| x == f) {
                b[k] = *w;
            }
        }
        b
    }

    /// Every person's strength `Σ βₖ fₖ`.
    pub fn strengths(&self, f: &Features) -> Vec<f64> {
        let b = self.beta();
        f.values
            .iter()
            .map(|x| x.iter().zip(&b).map(|(x, b)| x * b).sum())
            .collect()
    }

    /// P(a ranks above b) given their strengths and the pair's balance (0 when none).
    pub fn p_above(&self, s_a: f64, s_b: f64, balance: f64) -> f64 {
        sigmoid(s_a - s_b + self.pair_weight * balance)
    }
}

fn one() -> f64 {
    1.0
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// One labelled organization for fitting: features, pair balances, and a rank per person
/// (lower = more senior; None = unknown).
#[derive(Debug, Clone)]
pub struct Labelled {
    pub name: String,
    pub features: Features,
    /// (a, b, balance of a over b) for pairs that interacted.
    pub balances: Vec<(u32, u32, f64)>,
    pub rank: Vec<Option<f64>>,
}

/// The score of a pair in TRUTH.md: 1 when the senior's value is above the junior's, ½ on a tie,
/// 0 below.
pub fn pair_score(senior: f64, junior: f64) -> f64 {
    if senior > junior {
        1.0
    } else if senior == junior {
        0.5
    } else {
        0.0
    }
}

/// A fixed pseudo-random side for an unordered pair: true when the pair is to be seen from `a`.
/// Calibration needs pairs seen from either side (seen always from the senior, every outcome
/// would be the same).
pub fn pair_side(a: u32, b: u32) -> bool {
    let (x, y) = (a.min(b) as u64, a.max(b) as u64);
    let h = (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ y).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((h >> 31) & 1 == 1) == (a < b)
}

/// Share of a set's rank-ordered pairs that a model puts the right way round (P > ½; a tie ½).
pub fn accuracy(model: &StatusModel, set: &Labelled) -> f64 {
    let s = model.strengths(&set.features);
    let pairs = ordered_pairs(set);
    let right: f64 = pairs
        .iter()
        .map(|&(_, bal, hi, lo)| {
            pair_score(model.p_above(s[hi as usize], s[lo as usize], bal), 0.5)
        })
        .sum();
    right / pairs.len().max(1) as f64
}

/// Rank-ordered pairs (senior, junior) of a labelled set, with the senior's feature difference
/// and the pair balance seen from the senior.
pub fn ordered_pairs(set: &Labelled) -> Vec<([f64; K], f64, u32, u32)> {
    let balance: rustc_hash::FxHashMap<(u32, u32), f64> =
        set.balances.iter().map(|&(a, b, x)| ((a, b), x)).collect();
    let ranked: Vec<(usize, f64)> = set
        .rank
        .iter()
        .enumerate()
        .filter_map(|(p, r)| r.map(|r| (p, r)))
        .collect();
    let mut out = Vec::new();
    for (i, &(a, ra)) in ranked.iter().enumerate() {
        for &(b, rb) in &ranked[i + 1..] {
            if ra == rb {
                continue;
            }
            let (hi, lo) = if ra < rb { (a, b) } else { (b, a) };
            let mut d = [0.0; K];
            for (k, slot) in d.iter_mut().enumerate() {
                *slot = set.features.values[hi][k] - set.features.values[lo][k];
            }
            let (x, y) = (hi.min(lo) as u32, hi.max(lo) as u32);
            let bal = balance.get(&(x, y)).copied().unwrap_or(0.0);
            let bal = if hi as u32 == x { bal } else { -bal };
            out.push((d, bal, hi as u32, lo as u32));
        }
    }
    out
}

/// Options of [`fit`].
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// L2 penalty on the weights (per data set's unit weight).
    pub l2: f64,
    /// Features the fit may use (others weigh 0).
    pub use_features: [bool; K],
    pub use_pair: bool,
    /// Features whose weight may not be negative (a feature dropped from the fit when its
    /// weight would be).
    pub nonnegative: [bool; K],
}

/// Features the shipped fit uses. Own reply slowness and To-share are left out: only one
/// labelled organization carries them as e-mail (Enron; Kudu's "replies" are reviews answering
/// reviews), so their weights come from it alone and cannot be checked on an organization the
/// fit did not see; on Enron they run against the literature (seniors reply faster, are more
/// often on Cc), and with them the shipped model read a generated metadata-only organization's
/// tree worse (ancestor pairs, S seeds 1–3: 0.74 with them, 0.83 without). They stay in the people table.
pub const FITTED: [bool; K] = [
    true, true, true, true, true, true, true, true, true, false, false,
];

/// Centrality says status in one direction only: being sought after, central and reaching many
/// is never evidence of lower rank. Reply slowness and To-share may point either way.
pub const NONNEGATIVE: [bool; K] = [
    true, true, true, true, true, true, true, true, true, false, false,
];

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            l2: 0.01,
            use_features: FITTED,
            use_pair: true,
            nonnegative: NONNEGATIVE,
        }
    }
}

/// Penalized pairwise logistic regression over the rank-ordered pairs of the sets, each set's
/// pairs weighing 1 in all (Newton's method; the problem is convex). Pairs are symmetric (a
/// pair seen from the junior is the negated example), so there is no intercept. Weights marked
/// `nonnegative` are kept ≥ 0 by an active set (correlated centralities otherwise trade signs
/// between organizations, which does not carry to an organization the fit did not see).
pub fn fit(sets: &[Labelled], opts: &FitOptions) -> StatusModel {
    // Active set: fit, drop the most negative weight that must not be negative, refit.
    let mut o = *opts;
    loop {
        let m = fit_unconstrained(sets, &o);
        let worst = (0..K)
            .filter(|&k| o.use_features[k] && o.nonnegative[k] && m.weights[k] < 0.0)
            .min_by(|&a, &b| m.weights[a].total_cmp(&m.weights[b]));
        match worst {
            Some(k) => o.use_features[k] = false,
            None => return m,
        }
    }
}

fn fit_unconstrained(sets: &[Labelled], opts: &FitOptions) -> StatusModel {
    const D: usize = K + 1;
    let mut xs: Vec<([f64; D], f64)> = Vec::new();
    for set in sets {
        let pairs = ordered_pairs(set);
        if pairs.is_empty() {
            continue;
        }
        let w = 1.0 / pairs.len() as f64;
        for (d, bal, _, _) in pairs {
            let mut x = [0.0; D];
            for k in 0..K {
                if opts.use_features[k] {
                    x[k] = d[k];
                }
            }
            if opts.use_pair {
                x[K] = bal;
            }
            xs.push((x, w));
        }
    }
    let mut beta = [0.0; D];
    for _ in 0..100 {
        let mut g = [0.0; D];
        let mut h = [[0.0; D]; D];
        for (x, w) in &xs {
            let z: f64 = x.iter().zip(&beta).map(|(x, b)| x * b).sum();
            let p = sigmoid(z);
            for i in 0..D {
                g[i] += w * (1.0 - p) * x[i];
                for j in 0..D {
                    h[i][j] += w * p * (1.0 - p) * x[i] * x[j];
                }
            }
        }
        for i in 0..D {
            g[i] -= opts.l2 * beta[i];
            h[i][i] += opts.l2;
        }
        let step = solve(h, g);
        let mut change = 0.0f64;
        for i in 0..D {
            beta[i] += step[i];
            change = change.max(step[i].abs());
        }
        if change < 1e-10 {
            break;
        }
    }
    StatusModel {
        version: 1,
        fitted_on: sets.iter().map(|s| s.name.clone()).collect(),
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        weights: beta[..K].to_vec(),
        pair_weight: beta[K],
        l2: opts.l2,
        temperature: 1.0,
        note: String::new(),
    }
}

/// [`fit`], then a scale (temperature) for the weights that makes probabilities hold on
/// organizations the fit did not see: each set is predicted by a fit on the others, and one
/// factor τ is fitted to those held-out predictions (`P = σ(τ z)`, each set weighing the same).
/// A pooled fit is over-confident on an organization unlike its training sets; τ < 1 says so.
pub fn fit_calibrated(sets: &[Labelled], opts: &FitOptions) -> StatusModel {
    let mut model = fit(sets, opts);
    if sets.len() < 2 {
        return model;
    }
    let mut held_out: Vec<(f64, f64)> = Vec::new();
    for (j, set) in sets.iter().enumerate() {
        let others: Vec<Labelled> = sets
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != j)
            .map(|(_, s)| s.clone())
            .collect();
        let m = fit(&others, opts);
        let s = m.strengths(&set.features);
        let pairs = ordered_pairs(set);
        let w = 1.0 / pairs.len().max(1) as f64;
        for (_, bal, hi, lo) in pairs {
            held_out.push((s[hi as usize] - s[lo as usize] + m.pair_weight * bal, w));
        }
    }
    // One-parameter logistic regression through the origin (every example is a senior–junior
    // pair, outcome 1; the mirrored pair is implied by symmetry).
    let mut tau = 1.0f64;
    for _ in 0..100 {
        let (mut g, mut h) = (0.0, 0.0);
        for &(z, w) in &held_out {
            let p = sigmoid(tau * z);
            g += w * (1.0 - p) * z;
            h += w * p * (1.0 - p) * z * z;
        }
        g -= opts.l2 * (tau - 1.0);
        h += opts.l2;
        let step = g / h;
        tau += step;
        if step.abs() < 1e-12 {
            break;
        }
    }
    let tau = tau.max(0.0);
    model.weights.iter_mut().for_each(|w| *w *= tau);
    model.pair_weight *= tau;
    model.temperature = tau;
    model
}

/// Solves `h x = g` for a symmetric positive definite `h` (Gaussian elimination with partial
/// pivoting; rows that vanish give 0).
fn solve<const D: usize>(mut h: [[f64; D]; D], mut g: [f64; D]) -> [f64; D] {
    for c in 0..D {
        let pivot = (c..D)
            .max_by(|&i, &j| h[i][c].abs().total_cmp(&h[j][c].abs()))
            .expect("non-empty");
        h.swap(c, pivot);
        g.swap(c, pivot);
        if h[c][c].abs() < 1e-300 {
            continue;
        }
        let pivot_row = h[c];
        for r in c + 1..D {
            let f = h[r][c] / pivot_row[c];
            for (x, p) in h[r][c..].iter_mut().zip(&pivot_row[c..]) {
                *x -= f * p;
            }
            g[r] -= f * g[c];
        }
    }
    let mut x = [0.0; D];
    for c in (0..D).rev() {
        if h[c][c].abs() < 1e-300 {
            continue;
        }
        let s: f64 = (c + 1..D).map(|k| h[c][k] * x[k]).sum();
        x[c] = (g[c] - s) / h[c][c];
    }
    x
}

/// Calibration of predicted probabilities against outcomes: ten equal-width bins.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reliability {
    /// (bin lower edge, count, mean predicted, observed frequency)
    pub bins: Vec<(f64, usize, f64, f64)>,
    /// Count-weighted mean |predicted − observed| over the bins.
    pub gap: f64,
    pub brier: f64,
    pub count: usize,
}

/// Reliability of (predicted probability, outcome) pairs.
pub fn reliability(predictions: &[(f64, bool)]) -> Reliability {
    let mut sums = [(0usize, 0.0, 0.0); 10];
    let mut brier = 0.0;
    for &(p, y) in predictions {
        let bin = ((p * 10.0).floor() as usize).min(9);
        sums[bin].0 += 1;
        sums[bin].1 += p;
        sums[bin].2 += y as u8 as f64;
        brier += (p - y as u8 as f64).powi(2);
    }
    let n = predictions.len();
    let mut gap = 0.0;
    let bins = sums
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(i, &(c, p, y))| {
            let (mp, obs) = (p / c as f64, y / c as f64);
            gap += c as f64 * (mp - obs).abs();
            (i as f64 / 10.0, c, mp, obs)
        })
        .collect();
    Reliability {
        bins,
        gap: if n > 0 { gap / n as f64 } else { f64::NAN },
        brier: if n > 0 { brier / n as f64 } else { f64::NAN },
        count: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A uniform pseudo-random number in [0, 1) from an integer (splitmix64).
    fn noise(x: u64) -> f64 {
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An organization whose ranks follow a known logistic model on feature 0: person p has
    /// feature 0 uniform, and ranks are drawn so that P(a above b) = σ(scale · (f_a − f_b)).
    fn logistic_set(name: &str, n: usize, scale: f64, seed: u64) -> Labelled {
        let f: Vec<f64> = (0..n).map(|p| noise(seed * 1000 + p as u64)).collect();
        // A Gumbel-perturbed score gives Bradley–Terry (logistic) pairwise orders.
        let score: Vec<f64> = (0..n)
            .map(|p| {
                let u = noise(seed * 7777 + p as u64).clamp(1e-12, 1.0 - 1e-12);
                scale * f[p] - (-u.ln()).ln()
            })
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
        let mut rank = vec![None; n];
        for (r, &p) in order.iter().enumerate() {
            rank[p] = Some(r as f64);
        }
        let pct = percentiles(&f);
        Labelled {
            name: name.into(),
            features: Features {
                values: (0..n)
                    .map(|p| {
                        let mut v = [0.5; K];
                        v[0] = pct[p];
                        v
                    })
                    .collect(),
                present: [true; K],
            },
            balances: vec![],
            rank,
        }
    }

    #[test]
    fn held_out_probabilities_are_calibrated_when_organizations_are_alike() {
        let train: Vec<Labelled> = (1..=4)
            .map(|s| logistic_set(&format!("t{s}"), 60, 4.0, s))
            .collect();
        let model = fit_calibrated(&train, &FitOptions::default());
        let test = logistic_set("test", 200, 4.0, 99);
        let s = model.strengths(&test.features);
        let predictions: Vec<(f64, bool)> = ordered_pairs(&test)
            .into_iter()
            .map(|(_, bal, hi, lo)| {
                let p = model.p_above(s[hi as usize], s[lo as usize], bal);
                // Seen from a side chosen by the pair's own noise, so outcomes vary.
                if noise((hi as u64) * 1_000_003 + lo as u64) < 0.5 {
                    (p, true)
                } else {
                    (1.0 - p, false)
                }
            })
            .collect();
        let r = reliability(&predictions);
        assert!(r.gap < 0.05, "{r:?}");
        assert!((model.temperature - 1.0).abs() < 0.3, "{model:?}");
        // A model four times too sure is visibly miscalibrated on the same pairs.
        let sure: Vec<(f64, bool)> = ordered_pairs(&test)
            .into_iter()
            .map(|(_, _, hi, lo)| {
                let p = sigmoid(4.0 * (s[hi as usize] - s[lo as usize]));
                if noise((hi as u64) * 1_000_003 + lo as u64) < 0.5 {
                    (p, true)
                } else {
                    (1.0 - p, false)
                }
            })
            .collect();
        assert!(reliability(&sure).gap > 0.08);
    }

    fn set(name: &str, n: usize, signal: f64) -> Labelled {
        // Feature 0 follows the rank, feature 1 is noise.
        let values = (0..n)
            .map(|p| {
                let mut v = [0.5; K];
                v[0] = 1.0 - p as f64 / n as f64 * signal;
                v[1] = noise(p as u64);
                v
            })
            .collect();
        Labelled {
            name: name.into(),
            features: Features {
                values,
                present: [true; K],
            },
            balances: vec![],
            rank: (0..n).map(|p| Some((p / 3) as f64)).collect(),
        }
    }

    #[test]
    fn fit_puts_weight_on_the_informative_feature() {
        let m = fit(
            &[set("a", 30, 1.0), set("b", 40, 1.0)],
            &FitOptions::default(),
        );
        assert!(m.weights[0] > 5.0, "{:?}", m.weights);
        assert!(m.weights[1].abs() < m.weights[0] / 5.0, "{:?}", m.weights);
        let back = StatusModel::from_json(&m.to_json()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn shipped_weights_load() {
        let m = StatusModel::shipped();
        assert_eq!(m.features.len(), m.weights.len());
        assert!(!m.fitted_on.is_empty());
    }

    #[test]
    fn bad_weight_files_are_refused() {
        let bad = r#"{"version":1,"fitted_on":[],"features":["height"],"weights":[1.0],"pair_weight":0,"l2":0}"#;
        assert!(matches!(
            StatusModel::from_json(bad),
            Err(ModelError::UnknownFeature(..))
        ));
        let bad = r#"{"version":1,"fitted_on":[],"features":["seekers"],"weights":[],"pair_weight":0,"l2":0}"#;
        assert!(matches!(
            StatusModel::from_json(bad),
            Err(ModelError::Length(0, 1))
        ));
    }

    #[test]
    fn reliability_of_perfectly_calibrated_predictions_is_near_zero() {
        let mut preds = Vec::new();
        for i in 0..1000 {
            let p = (i % 10) as f64 / 10.0 + 0.05;
            // Outcome true for the first p share of each bin's 100 cases.
            preds.push((p, ((i / 10) as f64) < p * 100.0));
        }
        let r = reliability(&preds);
        assert!(r.gap < 0.01, "{r:?}");
        let overconfident: Vec<(f64, bool)> = preds
            .iter()
            .map(|&(_, y)| (if y { 1.0 } else { 0.0 }, !y))
            .collect();
        assert!(reliability(&overconfident).gap > 0.9);
    }
}
