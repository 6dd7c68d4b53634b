//! Dyadic power balance: for every pair that interacted, who can move the other and who can
//! resist being moved, from behaviour alone.
//!
//! Each kind of evidence is counted as votes for one side holding more power:
//! - a request `a → b` is a vote for `a` (a moves b);
//! - a decline or an unanswered request by `a` of `b`'s request is two votes for `a` (a resists);
//! - replies, acknowledgements, messages, notes and praise `a → b` are half a vote for `b` (a
//!   invests attention in b);
//! - reply latency: when both reply to each other, `min(n_a, n_b, 20) · |tanh(ln(L_a / L_b) / 2)|`
//!   votes for the slower one (the other is always available to them);
//! - survey: naming `b` under "whose requests can you not refuse" is five votes for `b`, under
//!   "whose sign-off do you need" three, and under "whom do you go to for advice" one.
//!
//! With `v_a` and `v_b` votes, the share of power held by `a` has the posterior Beta(1 + v_a,
//! 1 + v_b) (a uniform prior). The balance index is 2·mean − 1 in [−1, 1], positive when `a`
//! holds more; its interval is the 5 % and 95 % quantiles mapped the same way, so few events give
//! a value near 0 with a wide interval.
//!
//! The balance says who yields to whom *in this relationship*; it is not status. The dominance
//! probability (a ranks above b) comes from the status model: `σ(s_a − s_b + γ·balance)`, the
//! two people's status strengths plus the pair's balance at its fitted weight (`status`).
//! `status_p` is the same without the pair term, and `against_status` marks a relationship whose
//! balance interval lies on the side opposite to what status alone predicts (a junior holding
//! power in this relationship), which is a finding rather than noise.

use crate::input::{Evidence, Org, Pair};
use crate::stats::beta_quantile;
use crate::status::StatusModel;
use vocab::Question;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dyad {
    pub a: u32,
    pub b: u32,
    /// Relation class of `b` seen from `a` ("up": b is a's manager), when there is a hierarchy.
    pub relation: Option<&'static str>,
    pub events_ab: f64,
    pub events_ba: f64,
    pub requests_ab: f64,
    pub requests_ba: f64,
    /// (requests a→b − requests b→a) / total, in [−1, 1]; 0 when none.
    pub request_balance: f64,
    /// Median reply latency of a to b and of b to a, seconds.
    pub latency_a_s: Option<f64>,
    pub latency_b_s: Option<f64>,
    /// Share of b's requests that a declined or left unanswered, and the other way.
    pub resistance_a: Option<f64>,
    pub resistance_b: Option<f64>,
    /// Share of the contacts that a started (requests, messages, notes, decisions).
    pub initiation_a: Option<f64>,
    /// Attention invested: replies, acknowledgements, messages, praise, meeting hours.
    pub attention_ab: f64,
    pub attention_ba: f64,
    pub votes_a: f64,
    pub votes_b: f64,
    /// Votes from survey answers (sign-off, cannot-decline, advice) either way.
    pub survey_votes: f64,
    /// The votes without attention (requests, refusals, reply times, survey answers): what
    /// findings about a relationship rest on.
    pub evidence_votes_a: f64,
    pub evidence_votes_b: f64,
    /// The balance from the evidence votes alone, with its 90% interval (computed once here:
    /// findings and mirrors read it many times).
    pub evidence_balance: f64,
    pub evidence_lo: f64,
    pub evidence_hi: f64,
    pub balance: f64,
    pub balance_lo: f64,
    pub balance_hi: f64,
    /// Probability that a ranks above b (status model with the pair's balance).
    pub dominance_p: f64,
    /// Probability that a ranks above b from the two people's status alone.
    pub status_p: f64,
    /// The balance interval excludes 0 on the side opposite to a confident status prediction
    /// (`status_p` outside [0.3, 0.7]).
    pub against_status: bool,
}

/// Status predictions at least this far from ½ make a contrary balance a finding.
pub const STATUS_CONFIDENT: f64 = 0.2;

fn started(p: &Pair) -> f64 {
    p.request + p.message + p.fyi + p.decision + p.feedback_asked
}

fn attention(p: &Pair) -> f64 {
    p.reply + p.accept + p.message + p.fyi + p.praise + p.feedback_given + p.meeting_s / 3600.0
}

/// Votes for `x` holding power over `y` from what x did to y and y did to x.
fn votes_for(ev: &Evidence, x: u32, y: u32, xy: &Pair, yx: &Pair) -> f64 {
    evidence_votes_for(ev, x, y, xy, yx) + 0.5 * attention_count(yx)
}

/// Votes for x from moving and resisting only (requests, refusals, reply times, survey
/// answers), leaving out attention: who writes more to whom says little about power.
fn evidence_votes_for(ev: &Evidence, x: u32, y: u32, xy: &Pair, yx: &Pair) -> f64 {
    let mut v = xy.request + 2.0 * (xy.decline + xy.ignored);
    if let (Some(lx), Some(ly)) = (xy.latency_median_s, yx.latency_median_s)
        && xy.n_latency > 0.0
        && yx.n_latency > 0.0
    {
        let k = xy.n_latency.min(yx.n_latency).min(20.0);
        let s = ((lx.max(1.0) / ly.max(1.0)).ln() / 2.0).tanh();
        if s > 0.0 {
            v += k * s;
        }
    }
    v + survey_votes(ev, x, y)
}

/// Votes for x from y's survey answers naming x.
fn survey_votes(ev: &Evidence, x: u32, y: u32) -> f64 {
    5.0 * ev.named(y, x, Question::CannotDecline)
        + 3.0 * ev.named(y, x, Question::Decision)
        + ev.named(y, x, Question::Advice)
}

/// Attention as a count of acts (meeting time excluded: co-attendance is symmetric).
fn attention_count(p: &Pair) -> f64 {
    p.reply + p.accept + p.message + p.fyi + p.praise
}

/// (balance, 5 % end, 95 % end) of the Beta(1 + va, 1 + vb) posterior.
pub fn balance_from_votes(va: f64, vb: f64) -> (f64, f64, f64) {
    let (alpha, beta) = (1.0 + va, 1.0 + vb);
    let mean = alpha / (alpha + beta);
    let lo = beta_quantile(0.05, alpha, beta);
    let hi = beta_quantile(0.95, alpha, beta);
    (2.0 * mean - 1.0, 2.0 * lo - 1.0, 2.0 * hi - 1.0)
}

/// Every unordered pair with events either way or a survey answer, `a < b`, sorted.
pub fn dyads(org: &Org, ev: &Evidence, status: &[f64], model: &StatusModel) -> Vec<Dyad> {
    use rayon::prelude::*;
    // Every unordered pair with behaviour or survey answers, a ≤ b, with the rows of a→b and
    // b→a (NONE where there is none), each row found once.
    const NONE: u32 = u32::MAX;
    let row = |a: u32, b: u32| ev.index(a, b).map_or(NONE, |i| i as u32);
    let mut keys: Vec<(u32, u32, u32, u32)> = (0..ev.len())
        .into_par_iter()
        .filter_map(|i| {
            let (a, b) = ev.ends(i);
            match a.cmp(&b) {
                std::cmp::Ordering::Less => Some((a, b, i as u32, row(b, a))),
                std::cmp::Ordering::Equal => Some((a, b, i as u32, i as u32)),
                // b→a's own row carries the pair when there is one.
                std::cmp::Ordering::Greater => {
                    (row(b, a) == NONE).then_some((b, a, NONE, i as u32))
                }
            }
        })
        .collect();
    keys.extend(ev.survey.keys().map(|&(r, c)| {
        let (a, b) = (r.min(c), r.max(c));
        (a, b, row(a, b), row(b, a))
    }));
    keys.par_sort_unstable();
    keys.dedup_by_key(|k| (k.0, k.1));
    let pair = |i: u32| {
        if i == NONE {
            Pair::default()
        } else {
            ev.pair(i as usize)
        }
    };
    // The votes of every pair first; then each distinct (votes, votes) posterior's interval
    // once (most pairs share a few small vote counts, and a quantile is 60 CDF evaluations).
    let votes: Vec<[f64; 4]> = keys
        .par_iter()
        .map(|&(a, b, i_ab, i_ba)| {
            let ab = &pair(i_ab);
            let ba = &pair(i_ba);
            [
                votes_for(ev, a, b, ab, ba),
                votes_for(ev, b, a, ba, ab),
                evidence_votes_for(ev, a, b, ab, ba),
                evidence_votes_for(ev, b, a, ba, ab),
            ]
        })
        .collect();
    let mut distinct: Vec<(u64, u64)> = votes
        .iter()
        .flat_map(|v| {
            [
                (v[0].to_bits(), v[1].to_bits()),
                (v[2].to_bits(), v[3].to_bits()),
            ]
        })
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let intervals: rustc_hash::FxHashMap<(u64, u64), (f64, f64, f64)> = distinct
        .par_iter()
        .map(|&(x, y)| {
            (
                (x, y),
                balance_from_votes(f64::from_bits(x), f64::from_bits(y)),
            )
        })
        .collect();
    let interval = |x: f64, y: f64| intervals[&(x.to_bits(), y.to_bits())];
    keys.par_iter()
        .zip(&votes)
        .map(|(&(a, b, i_ab, i_ba), v)| {
            let ab = &pair(i_ab);
            let ba = &pair(i_ba);
            let (votes_a, votes_b) = (v[0], v[1]);
            let (balance, balance_lo, balance_hi) = interval(votes_a, votes_b);
            let strength = |p: u32| status.get(p as usize).copied().unwrap_or(0.0);
            let (s_a, s_b) = (strength(a), strength(b));
            let status_p = model.p_above(s_a, s_b, 0.0);
            let dominance_p = model.p_above(s_a, s_b, balance);
            let (evidence_a, evidence_b) = (v[2], v[3]);
            let (ev_balance, ev_lo, ev_hi) = interval(evidence_a, evidence_b);
            let against_status = (status_p <= 0.5 - STATUS_CONFIDENT && ev_lo > 0.0)
                || (status_p >= 0.5 + STATUS_CONFIDENT && ev_hi < 0.0);
            let share = |x: f64, y: f64| (x + y > 0.0).then(|| x / (x + y));
            let resist = |p: &Pair, asked: f64| {
                (asked > 0.0).then(|| ((p.decline + p.ignored) / asked).min(1.0))
            };
            let total_req = ab.request + ba.request;
            Dyad {
                a,
                b,
                relation: org
                    .chart
                    .as_ref()
                    .filter(|_| org.has_hierarchy())
                    .map(|c| c.relation(a as usize, b as usize).as_str()),
                events_ab: ab.n,
                events_ba: ba.n,
                requests_ab: ab.request,
                requests_ba: ba.request,
                request_balance: if total_req > 0.0 {
                    (ab.request - ba.request) / total_req
                } else {
                    0.0
                },
                latency_a_s: ab.latency_median_s.filter(|_| ab.n_latency > 0.0),
                latency_b_s: ba.latency_median_s.filter(|_| ba.n_latency > 0.0),
                resistance_a: resist(ab, ba.request),
                resistance_b: resist(ba, ab.request),
                initiation_a: share(started(ab), started(ba)),
                attention_ab: attention(ab),
                attention_ba: attention(ba),
                votes_a,
                votes_b,
                survey_votes: survey_votes(ev, a, b) + survey_votes(ev, b, a),
                evidence_votes_a: evidence_a,
                evidence_votes_b: evidence_b,
                evidence_balance: ev_balance,
                evidence_lo: ev_lo,
                evidence_hi: ev_hi,
                balance,
                balance_lo,
                balance_hi,
                dominance_p,
                status_p,
                against_status,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: usize) -> Org {
        Org {
            ids: (0..n).map(|i| i.to_string()).collect(),
            pseudonyms: (0..n).map(|i| format!("p{i}")).collect(),
            department: vec![None; n],
            departments: vec![],
            chart: None,
            tags: vec![vec![]; n],
            time_zones: vec![None; n],
            titles: vec![None; n],
        }
    }

    /// 0 asks 1 often and is answered at once; 1 asks 0, waits days and is turned down.
    fn yielding_pairs() -> Evidence {
        let ab = Pair {
            a: 0,
            b: 1,
            n: 40.0,
            request: 30.0,
            reply: 5.0,
            decline: 8.0,
            ignored: 6.0,
            n_latency: 5.0,
            latency_median_s: Some(3.0 * 86_400.0),
            ..Default::default()
        };
        let ba = Pair {
            a: 1,
            b: 0,
            n: 35.0,
            request: 5.0,
            reply: 28.0,
            help: 28.0,
            n_latency: 28.0,
            latency_median_s: Some(600.0),
            ..Default::default()
        };
        Evidence::new(vec![ab, ba], &[])
    }

    #[test]
    fn a_balance_against_confident_status_is_marked_and_not_otherwise() {
        let model = StatusModel::shipped();
        let ev = yielding_pairs();
        // Status puts 1 well above 0 (log-odds 3), yet 0 holds the relationship.
        let d = &dyads(&org(2), &ev, &[0.0, 3.0], &model)[0];
        assert!(d.status_p < 0.1, "{d:?}");
        assert!(d.evidence_votes_a > 3.0 * d.evidence_votes_b, "{d:?}");
        assert!(d.against_status, "{d:?}");
        // Status agreeing with the balance, or unsure, is no contradiction.
        assert!(!dyads(&org(2), &ev, &[3.0, 0.0], &model)[0].against_status);
        assert!(!dyads(&org(2), &ev, &[0.0, 0.3], &model)[0].against_status);
        // The dominance probability moves toward the balance when the pair weight is positive.
        let d0 = &dyads(&org(2), &ev, &[0.0, 0.0], &model)[0];
        assert!((d0.status_p - 0.5).abs() < 1e-12);
        assert!(d0.dominance_p > 0.5, "{d0:?}");
    }

    #[test]
    fn little_evidence_stays_near_zero_and_much_evidence_is_sure() {
        let p = |va: f64, vb: f64| 1.0 - crate::stats::beta_cdf(0.5, 1.0 + va, 1.0 + vb);
        let (b, lo, hi) = balance_from_votes(1.0, 0.0);
        assert!(b > 0.0 && b < 0.4 && lo < 0.0 && hi > 0.5);
        assert!(p(1.0, 0.0) > 0.5 && p(1.0, 0.0) < 0.9);
        let (b, lo, _) = balance_from_votes(60.0, 6.0);
        assert!(b > 0.7 && lo > 0.5 && p(60.0, 6.0) > 0.999);
        let (b, lo, hi) = balance_from_votes(0.0, 0.0);
        assert!(b.abs() < 1e-12 && (lo + hi).abs() < 1e-9 && (p(0.0, 0.0) - 0.5).abs() < 1e-12);
    }
}
