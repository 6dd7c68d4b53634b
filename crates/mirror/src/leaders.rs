//! How each leader uses power with their team: a position on a power-over ↔ power-with scale
//! from five components, each in its own units:
//!
//! - directive ratio: requests and decisions sent to reports / (those + feedback asked of them);
//! - autonomy: share of the team's outgoing events that go to anyone but the leader;
//! - airtime: the leader's share of the speaking time in their team meetings divided by an equal
//!   share (from `activity`, when speaking times are recorded for two meetings or more); else
//!   their share of events inside the team (leader→team, team→leader, team→team) divided by
//!   1/(k+1);
//! - reciprocity: the leader's fulfilment rate of reports' requests over the reports' rate for
//!   the leader's, each rate with a uniform prior ((fulfilled + 1) / (requests + 2));
//! - leaderfulness: ½(1 − Gini of influence inside the team) + ½(share of members with at least
//!   three contacts outside the team).
//!
//! Each component is then placed against this organization's leaders: a robust z-score (distance
//! from the median leader in units of 1.4826 × the median absolute deviation), signed so that
//! positive means more power-with and clipped to ±3. The position is the mean of the components
//! present divided by 3, in [−1, 1]: 0 is the organization's typical leader. At or above
//! `WITH_AT` the style reads "power_with", at or below −`WITH_AT` "power_over", else "mixed".

use crate::input::{Evidence, Org};
use crate::people::PersonRow;
use crate::stats::gini;
use rustc_hash::FxHashSet;
use vocab::Activity;

#[derive(Debug, Clone, PartialEq)]
pub struct LeaderRow {
    pub leader: u32,
    pub team_size: u32,
    pub directive_ratio: Option<f64>,
    pub autonomy: Option<f64>,
    pub airtime: Option<f64>,
    pub reciprocity: Option<f64>,
    pub leaderfulness: Option<f64>,
    pub position: f64,
    pub style: &'static str,
    /// Events between the leader and the team (how much the position rests on).
    pub evidence_events: f64,
}

pub const WITH_AT: f64 = 0.25;
/// Team meetings with speaking times a leader needs before airtime is taken from them.
pub const AIRTIME_MIN_MEETINGS: f64 = 2.0;

pub fn leaders(
    org: &Org,
    ev: &Evidence,
    rows: &[PersonRow],
    g: &graph::Graph,
    activity: Option<&[Activity]>,
) -> Vec<LeaderRow> {
    let n = org.n();
    // Speaking time in team meetings, where recorded (activity holds only people who sent).
    let mut spoken: Vec<Option<f64>> = vec![None; n];
    for a in activity.unwrap_or(&[]) {
        if (a.person as usize) < n && a.team_meetings >= AIRTIME_MIN_MEETINGS {
            spoken[a.person as usize] = a.team_airtime();
        }
    }
    let mut out = Vec::new();
    for (l, &spoken_l) in spoken.iter().enumerate() {
        let team: Vec<u32> = org.reports(l).to_vec();
        if team.len() < 2 {
            continue;
        }
        let members: FxHashSet<u32> = team.iter().copied().collect();
        let lu = l as u32;
        let (mut push, mut ask) = (0.0, 0.0);
        let (mut to_leader, mut team_out) = (0.0, 0.0);
        let (mut leader_in_team, mut inside) = (0.0, 0.0);
        let (mut req_to_l, mut l_helped, mut req_from_l, mut helped_l) = (0.0, 0.0, 0.0, 0.0);
        for &r in &team {
            if let Some(p) = ev.get(lu, r) {
                push += p.request + p.decision;
                ask += p.feedback_asked;
                leader_in_team += p.n;
                req_from_l += p.request;
                l_helped += p.help;
            }
            if let Some(p) = ev.get(r, lu) {
                to_leader += p.n;
                inside += p.n;
                req_to_l += p.request;
                helped_l += p.help;
            }
            team_out += rows[r as usize].events_out;
            for &s in &team {
                if s != r
                    && let Some(p) = ev.get(r, s)
                {
                    inside += p.n;
                }
            }
        }
        inside += leader_in_team;
        let directive_ratio = (push + ask > 0.0).then(|| push / (push + ask));
        let autonomy = (team_out > 0.0).then(|| 1.0 - to_leader / team_out);
        let k = team.len() as f64;
        let airtime = spoken_l.or((inside > 0.0).then(|| (leader_in_team / inside) * (k + 1.0)));
        // Fulfilment rates with a uniform prior (one fulfilled and one not), so that a handful
        // of requests cannot make an extreme ratio.
        let reciprocity = (req_to_l > 0.0 && req_from_l > 0.0).then(|| {
            let mine = (l_helped + 1.0) / (req_to_l + 2.0);
            let theirs = (helped_l + 1.0) / (req_from_l + 2.0);
            mine / theirs
        });
        let influence: Vec<f64> = team.iter().map(|&r| rows[r as usize].influence).collect();
        let outside_tied = team
            .iter()
            .filter(|&&r| {
                g.out_targets(r as usize)
                    .iter()
                    .filter(|&&v| v != lu && !members.contains(&v))
                    .count()
                    >= 3
            })
            .count() as f64;
        let leaderfulness = Some(0.5 * (1.0 - gini(&influence)) + 0.5 * outside_tied / k);
        let position = 0.0;
        out.push(LeaderRow {
            leader: lu,
            team_size: team.len() as u32,
            directive_ratio,
            autonomy,
            airtime,
            reciprocity,
            leaderfulness,
            position,
            style: "mixed",
            evidence_events: leader_in_team + to_leader,
        });
    }
    place(&mut out);
    out
}

/// Positions and styles against the organization's own leaders.
fn place(rows: &mut [LeaderRow]) {
    type Get = fn(&LeaderRow) -> Option<f64>;
    // (component, sign: +1 when more of it means more power-with)
    let parts: [(Get, f64); 5] = [
        (|l| l.directive_ratio, -1.0),
        (|l| l.autonomy, 1.0),
        (|l| l.airtime, -1.0),
        (|l| l.reciprocity, 1.0),
        (|l| l.leaderfulness, 1.0),
    ];
    let centres: Vec<Option<(f64, f64)>> = parts
        .iter()
        .map(|(get, _)| {
            let mut v: Vec<f64> = rows.iter().filter_map(get).collect();
            let med = crate::stats::median(&mut v)?;
            let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
            let mad = crate::stats::median(&mut dev).unwrap_or(0.0);
            Some((med, (1.4826 * mad).max(0.1)))
        })
        .collect();
    for l in rows.iter_mut() {
        let z: Vec<f64> = parts
            .iter()
            .zip(&centres)
            .filter_map(|((get, sign), c)| {
                let (med, scale) = (*c)?;
                get(l).map(|x| (sign * (x - med) / scale).clamp(-3.0, 3.0))
            })
            .collect();
        l.position = z.iter().sum::<f64>() / (3.0 * z.len().max(1) as f64);
        l.style = if l.position >= WITH_AT {
            "power_with"
        } else if l.position <= -WITH_AT {
            "power_over"
        } else {
            "mixed"
        };
    }
}
