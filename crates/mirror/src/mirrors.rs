//! The personal mirror: for every person, their stakeholder compass, relationships out of
//! balance, allies and worthy adversaries, partners they are missing, and suggestions, each row
//! carrying the evidence behind it. Paths to a named person are computed on request
//! ([`paths_to`]).

use crate::dyads::Dyad;
use crate::input::{Evidence, Org, Pair};
use crate::leaders::LeaderRow;
use crate::people::{PersonRow, hours};
use rustc_hash::FxHashMap;
use vocab::{Question, RoleTag};

#[derive(Debug, Clone, PartialEq)]
pub struct MirrorRow {
    pub person: u32,
    /// compass (attention and requests by relation class), compass_named (the same from whom
    /// the person named in a survey, when there are no interaction records), out_of_balance,
    /// ally, adversary, missing_partner, suggestion
    pub section: &'static str,
    pub rank: u32,
    pub other: Option<u32>,
    /// What the row is (a compass direction, a suggestion kind, ...).
    pub label: String,
    pub value: Option<f64>,
    /// The numbers that put it there, in plain words.
    pub evidence: String,
}

/// Thresholds for a relationship to count as out of balance.
pub const UNBALANCED_AT: f64 = 0.3;

/// Ally strength of the tie between x and y (two-way help, feedback exchanged both ways,
/// introductions both ways, survey "ally" answers: 3 when mutual, 1 one way), whether it counts
/// as an alliance, and the evidence. An alliance needs help and feedback going both ways and
/// either both naming each other as allies in the survey, or an even exchange (neither side
/// giving less than half of what it gets, help and feedback together) of at least
/// `ALLY_HELP_AT` acts of help and `ALLY_FEEDBACK_AT` of feedback or praise each way, and as
/// many requests for feedback each way, outside a reporting line (a manager and their report
/// are allies only when both say so).
pub const ALLY_HELP_AT: f64 = 10.0;
pub const ALLY_FEEDBACK_AT: f64 = 2.0;

/// (strength, and for allies the evidence); the evidence is written only for allies (a person
/// has as many dyads as contacts, and few of them are allies).
pub fn ally_strength(ev: &Evidence, x: u32, y: u32, reporting_line: bool) -> (f64, Option<String>) {
    let xy = &ev.get(x, y).unwrap_or_default();
    let yx = &ev.get(y, x).unwrap_or_default();
    let help = xy.help.min(yx.help);
    let feedback = (xy.feedback_given + xy.praise).min(yx.feedback_given + yx.praise);
    let intro = xy.introduction.min(yx.introduction);
    let (sx, sy) = (
        ev.named(x, y, Question::Ally),
        ev.named(y, x, Question::Ally),
    );
    let survey = if sx > 0.0 && sy > 0.0 {
        3.0
    } else if sx > 0.0 || sy > 0.0 {
        1.0
    } else {
        0.0
    };
    let s = help + feedback + intro + survey;
    // Even exchange: neither side gives less than half of what it gets (help and feedback
    // together), and each has asked the other for feedback.
    let given = |p: &Pair| p.help + p.feedback_given + p.praise;
    let even = given(xy).min(given(yx)) >= 0.5 * given(xy).max(given(yx));
    let asked = xy.feedback_asked.min(yx.feedback_asked);
    let allied = help >= 1.0
        && feedback >= 1.0
        && (survey == 3.0
            || (!reporting_line
                && help >= ALLY_HELP_AT
                && feedback >= ALLY_FEEDBACK_AT
                && asked >= ALLY_FEEDBACK_AT
                && even));
    (
        s,
        allied.then(|| {
            format!(
                "help both ways {:.0}/{:.0}, feedback both ways {:.0}/{:.0}{}",
                xy.help,
                yx.help,
                xy.feedback_given + xy.praise,
                yx.feedback_given + yx.praise,
                match survey as u8 {
                    3 => ", both named each other as allies",
                    1 => ", one named the other as an ally",
                    _ => "",
                }
            )
        }),
    )
}

/// A dyad seen from `me`: (other, balance from my side, lo, hi, dominance of the other).
fn from_side(d: &Dyad, me: u32) -> (u32, f64, f64, f64) {
    if d.a == me {
        (d.b, d.balance, d.balance_lo, d.balance_hi)
    } else {
        (d.a, -d.balance, -d.balance_hi, -d.balance_lo)
    }
}

fn balance_evidence(d: &Dyad, me: u32) -> String {
    let mine_first = d.a == me;
    let (req_me, req_them) = if mine_first {
        (d.requests_ab, d.requests_ba)
    } else {
        (d.requests_ba, d.requests_ab)
    };
    let (lat_me, lat_them) = if mine_first {
        (d.latency_a_s, d.latency_b_s)
    } else {
        (d.latency_b_s, d.latency_a_s)
    };
    let (res_me, res_them) = if mine_first {
        (d.resistance_a, d.resistance_b)
    } else {
        (d.resistance_b, d.resistance_a)
    };
    // Only what was measured is named.
    let mut parts = Vec::new();
    if req_me + req_them > 0.0 {
        parts.push(format!(
            "you asked {req_me:.0} times, they asked {req_them:.0}"
        ));
    }
    if let (Some(a), Some(b)) = (lat_me, lat_them) {
        parts.push(format!("you reply in {}, they in {}", hours(a), hours(b)));
    }
    if let Some(r) = res_them {
        parts.push(format!(
            "they turned down or left {:.0}% of your requests",
            100.0 * r
        ));
    }
    if let Some(r) = res_me {
        parts.push(format!(
            "you turned down or left {:.0}% of theirs",
            100.0 * r
        ));
    }
    if d.survey_votes > 0.0 {
        parts.push(format!(
            "survey answers (advice, sign-off, cannot decline) weighing {:.0}",
            d.survey_votes
        ));
    }
    parts.join("; ")
}

pub struct MirrorInputs<'a> {
    pub org: &'a Org,
    pub ev: &'a Evidence,
    pub rows: &'a [PersonRow],
    pub dyads: &'a [Dyad],
    pub leaders: &'a [LeaderRow],
    pub undirected: &'a graph::Graph,
    /// A leader's team figures (how directive, how much goes through them) are suggestions
    /// only for teams of at least this many people.
    pub min_group: usize,
}

pub fn mirrors(x: &MirrorInputs) -> Vec<MirrorRow> {
    let n = x.org.n();
    let mut by_person: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, d) in x.dyads.iter().enumerate() {
        if (d.a as usize) < n && (d.b as usize) < n {
            by_person[d.a as usize].push(i as u32);
            by_person[d.b as usize].push(i as u32);
        }
    }
    let leader_of: FxHashMap<u32, &LeaderRow> = x.leaders.iter().map(|l| (l.leader, l)).collect();
    use rayon::prelude::*;
    (0..n)
        .into_par_iter()
        .flat_map_iter(|p| {
            one(
                x,
                p as u32,
                &by_person[p],
                leader_of.get(&(p as u32)).copied(),
            )
        })
        .collect()
}

fn one(x: &MirrorInputs, me: u32, mine: &[u32], leader: Option<&LeaderRow>) -> Vec<MirrorRow> {
    let org = x.org;
    let mut out = Vec::new();
    let mut push = |section, rank, other, label: String, value, evidence: String| {
        out.push(MirrorRow {
            person: me,
            section,
            rank,
            other,
            label,
            value,
            evidence,
        })
    };
    // Stakeholder compass: where the person's attention goes, by relation class. Without
    // behaviour (a survey-only workspace, or a person with no recorded interactions) it is built
    // from whom the person named in the survey, and says so: a survey shows whom someone turns
    // to, not how they spend their time.
    let mut compass: Vec<(&'static str, f64)> = Vec::new();
    let mut compass_from_survey = false;
    if let Some(chart) = org.chart.as_ref().filter(|_| org.has_hierarchy()) {
        let mut by_class: FxHashMap<&'static str, f64> = FxHashMap::default();
        let mut total = 0.0;
        for &i in mine {
            let d = &x.dyads[i as usize];
            let (other, ..) = from_side(d, me);
            let invested = if d.a == me {
                d.attention_ab + d.requests_ab
            } else {
                d.attention_ba + d.requests_ba
            };
            let class = chart.relation(me as usize, other as usize).as_str();
            *by_class.entry(class).or_default() += invested;
            total += invested;
        }
        if total <= 0.0 {
            for &i in mine {
                let d = &x.dyads[i as usize];
                let (other, ..) = from_side(d, me);
                let named: f64 =
                    x.ev.survey
                        .get(&(me, other))
                        .map_or(0.0, |w| w.iter().sum());
                if named > 0.0 {
                    let class = chart.relation(me as usize, other as usize).as_str();
                    *by_class.entry(class).or_default() += named;
                    total += named;
                }
            }
            compass_from_survey = total > 0.0;
        }
        let m = me as usize;
        let has_peers = chart
            .manager(m)
            .is_some_and(|boss| chart.reports(boss).len() > 1);
        let has_skip_down = chart
            .reports(m)
            .iter()
            .any(|&r| !chart.reports(r as usize).is_empty());
        let available: Vec<&'static str> = [
            ("up", chart.manager(m).is_some()),
            (
                "skip_up",
                chart.manager(m).and_then(|b| chart.manager(b)).is_some(),
            ),
            ("down", !chart.reports(m).is_empty()),
            ("skip_down", has_skip_down),
            ("peer", has_peers),
            ("left_right", true),
            ("cross_level", true),
        ]
        .into_iter()
        .filter(|c| c.1)
        .map(|c| c.0)
        .collect();
        let reference = 1.0 / available.len() as f64;
        // Nothing invested and nobody named: no compass, rather than one of zeros.
        for (rank, class) in available.iter().enumerate().filter(|_| total > 0.0) {
            let share = by_class.get(class).copied().unwrap_or(0.0) / total;
            compass.push((class, share));
            push(
                if compass_from_survey {
                    "compass_named"
                } else {
                    "compass"
                },
                rank as u32,
                None,
                class.to_string(),
                Some(share),
                if compass_from_survey {
                    format!(
                        "{:.0}% of the colleagues you named in the survey (an even spread would be {:.0}%); there are no interaction records, so this is whom you turn to, not how you spend your time",
                        100.0 * share,
                        100.0 * reference
                    )
                } else {
                    format!(
                        "{:.0}% of your attention and requests; an even spread would be {:.0}%",
                        100.0 * share,
                        100.0 * reference
                    )
                },
            );
        }
    }
    // Relationships out of balance, strongest first: on the evidence votes only (requests,
    // refusals, reply times both ways, survey answers), never on attention alone, so a row
    // always has something measured behind it.
    let mut unbalanced: Vec<(f64, u32, &Dyad)> = mine
        .iter()
        .map(|&i| &x.dyads[i as usize])
        .filter(|d| crate::findings::has_power_evidence(d))
        .filter_map(|d| {
            let (b, lo, hi) = crate::findings::evidence_balance(d);
            let (other, b, lo, hi) = if d.a == me {
                (d.b, b, lo, hi)
            } else {
                (d.a, -b, -hi, -lo)
            };
            let sure = lo > 0.0 || hi < 0.0;
            (sure && b.abs() >= UNBALANCED_AT).then_some((b, other, d))
        })
        .collect();
    unbalanced.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()).then(a.1.cmp(&b.1)));
    for (rank, &(b, other, d)) in unbalanced.iter().take(5).enumerate() {
        push(
            "out_of_balance",
            rank as u32,
            Some(other),
            if b > 0.0 {
                "you hold more power"
            } else {
                "they hold more power"
            }
            .into(),
            Some(b),
            balance_evidence(d, me),
        );
    }
    // Allies and worthy adversaries.
    let mut allies: Vec<(f64, u32, String)> = mine
        .iter()
        .filter_map(|&i| {
            let d = &x.dyads[i as usize];
            let (other, ..) = from_side(d, me);
            let line = matches!(d.relation, Some("up" | "down"));
            let (s, evidence) = ally_strength(x.ev, me, other, line);
            evidence.map(|e| (s, other, e))
        })
        .collect();
    allies.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (rank, (s, other, e)) in allies.iter().take(5).enumerate() {
        push(
            "ally",
            rank as u32,
            Some(*other),
            "ally".into(),
            Some(*s),
            e.clone(),
        );
    }
    let mut adversaries: Vec<(f64, u32, String)> = mine
        .iter()
        .filter_map(|&i| {
            let d = &x.dyads[i as usize];
            let (other, ..) = from_side(d, me);
            let a = &x.ev.get(me, other).unwrap_or_default();
            let b = &x.ev.get(other, me).unwrap_or_default();
            let engaged = a.n.min(b.n);
            (a.decline >= 2.0 && b.decline >= 2.0 && engaged >= 10.0).then(|| {
                (
                    engaged,
                    other,
                    format!(
                        "{:.0} and {:.0} events each way; you declined {:.0}, they declined {:.0}",
                        a.n, b.n, a.decline, b.decline
                    ),
                )
            })
        })
        .collect();
    adversaries.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (rank, (s, other, e)) in adversaries.iter().take(3).enumerate() {
        push(
            "adversary",
            rank as u32,
            Some(*other),
            "worthy adversary".into(),
            Some(*s),
            e.clone(),
        );
    }
    // Partners they are missing: people close to the leaders they depend on, and the trenches.
    // Tied: events either way, or a survey answer naming the other either way. Without any
    // interaction records (a survey-only workspace) the words say what the survey shows.
    let behaviour = x.ev.pairs().any(|p| p.n > 0.0);
    let named = |a: u32, b: u32| {
        x.ev.survey
            .get(&(a, b))
            .is_some_and(|w| w.iter().sum::<f64>() > 0.0)
    };
    let tied = |other: u32| {
        x.ev.get(me, other).is_some_and(|p| p.n > 0.0)
            || x.ev.get(other, me).is_some_and(|p| p.n > 0.0)
            || named(me, other)
            || named(other, me)
    };
    let no_tie = if behaviour {
        "no contact with you"
    } else {
        "neither of you named the other in the survey"
    };
    let mut missing: Vec<(f64, u32, String)> = Vec::new();
    if let Some(chart) = org.chart.as_ref().filter(|_| org.has_hierarchy()) {
        let m = me as usize;
        let leaders_i_need: Vec<usize> = chart.chain(m).skip(1).take(2).collect();
        for &l in &leaders_i_need {
            for (g, w) in x.undirected.out_edges(l) {
                let staff = org.tags[g]
                    .iter()
                    .any(|t| matches!(t, RoleTag::Assistant | RoleTag::ChiefOfStaff));
                let near = staff || x.rows[g].roles.iter().any(|r| r.name == "gatekeeper");
                if g as u32 != me && near && !tied(g as u32) {
                    missing.push((
                        x.rows[g].informal_pct + 1.0,
                        g as u32,
                        format!(
                            "close to {} ({:.0} {}), whom you depend on; {no_tie}",
                            crate::refer(l as u32),
                            w,
                            if behaviour {
                                "events"
                            } else {
                                "survey answers"
                            }
                        ),
                    ));
                }
            }
        }
        // The trenches: people two or more levels below in one's own subtree, not in contact.
        let mut below: Vec<u32> = Vec::new();
        for &r in chart.reports(m) {
            below.extend_from_slice(chart.reports(r as usize));
        }
        let untouched: Vec<u32> = below.iter().copied().filter(|&b| !tied(b)).collect();
        if !below.is_empty() && untouched.len() * 2 >= below.len() {
            let mut by_power: Vec<u32> = untouched.clone();
            by_power.sort_by(|a, b| {
                x.rows[*b as usize]
                    .informal_pct
                    .total_cmp(&x.rows[*a as usize].informal_pct)
                    .then(a.cmp(b))
            });
            for &b in by_power.iter().take(3) {
                missing.push((
                    x.rows[b as usize].informal_pct,
                    b,
                    format!(
                        "in the trenches below your reports: {} of {} there have {}",
                        untouched.len(),
                        below.len(),
                        if behaviour {
                            "no contact with you"
                        } else {
                            "neither named you nor were named by you in the survey"
                        }
                    ),
                ));
            }
        }
    }
    missing.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    missing.dedup_by_key(|m| m.1);
    for (rank, (s, other, e)) in missing.iter().take(5).enumerate() {
        push(
            "missing_partner",
            rank as u32,
            Some(*other),
            "missing partner".into(),
            Some(*s),
            e.clone(),
        );
    }
    // Suggestions, each from the evidence above.
    let mut suggestions: Vec<(f64, Option<u32>, &'static str, String)> = Vec::new();
    for &(b, other, d) in &unbalanced {
        let mine_first = d.a == me;
        let (res_me, req_them, req_me) = if mine_first {
            (d.resistance_a, d.requests_ba, d.requests_ab)
        } else {
            (d.resistance_b, d.requests_ab, d.requests_ba)
        };
        if b < 0.0 && res_me.is_some_and(|r| r < 0.1) && req_them >= 3.0 {
            suggestions.push((
                -b * 2.0,
                Some(other),
                "decline_or_redirect",
                format!(
                    "Say no to, or pass on, some requests from {}: you took on {:.0} of their requests and turned down {:.0}%, while they took {:.0} of yours. {}",
                    crate::refer(other),
                    req_them,
                    100.0 * res_me.unwrap_or(0.0),
                    req_me,
                    balance_evidence(d, me)
                ),
            ));
        }
        if b > 0.0 && req_me >= 5.0 && req_me >= 3.0 * req_them.max(1.0) {
            suggestions.push((
                b,
                Some(other),
                "let_them_make_the_case",
                format!(
                    "You ask much of {} ({:.0} requests against {:.0}). Ask what they would put first, and let them make the case for where their time goes.",
                    crate::refer(other), req_me, req_them
                ),
            ));
        }
    }
    if let Some((s, other, e)) = allies.first() {
        suggestions.push((
            0.5 + s.min(10.0) / 20.0,
            Some(*other),
            "offer_a_blind_spot",
            format!(
                "{} trusts you ({e}). Offer them one observation about how they come across that they may not see themselves.",
                crate::refer(*other)
            ),
        ));
        // Introduce a valued ally to someone powerful the person knows.
        let powerful = mine
            .iter()
            .map(|&i| from_side(&x.dyads[i as usize], me).0)
            .filter(|&o| o != *other && x.rows[o as usize].informal_pct >= 0.9)
            .filter(|&o| !x.ev.get(*other, o).is_some_and(|p| p.n > 0.0))
            .max_by(|a, b| {
                x.rows[*a as usize]
                    .informal_pct
                    .total_cmp(&x.rows[*b as usize].informal_pct)
                    .then(b.cmp(a))
            });
        if let Some(p) = powerful {
            suggestions.push((
                0.6,
                Some(*other),
                "introduce",
                format!(
                    "Introduce {} to {} (informal power in the top {:.0}%); they have no contact yet and your word carries weight with both.",
                    crate::refer(*other),
                    crate::refer(p),
                    (1.0 - x.rows[p as usize].informal_pct) * 100.0 + 1.0
                ),
            ));
        }
    }
    for &(class, share) in &compass {
        if share < 0.03 && matches!(class, "skip_down" | "peer" | "left_right" | "up") {
            let place = match class {
                "skip_down" => "the people below your direct reports",
                "peer" => "your peers",
                "left_right" => "people at your level in other branches",
                _ => "your manager",
            };
            suggestions.push((
                0.55,
                None,
                "widen_the_compass",
                if compass_from_survey {
                    format!(
                        "You named {} {place} in the survey ({:.0}% of the colleagues you named). The survey shows whom you turn to, not how you spend your time: check whether that is a gap.",
                        if share > 0.0 { "few of" } else { "none of" },
                        100.0 * share
                    )
                } else {
                    format!(
                        "Spend some time with {place}: they get {:.0}% of your attention.",
                        100.0 * share
                    )
                },
            ));
        }
    }
    if let Some(l) = leader.filter(|l| l.team_size as usize >= x.min_group) {
        if l.directive_ratio.is_some_and(|d| d >= 0.7) {
            suggestions.push((
                0.7 + l.directive_ratio.unwrap_or(0.0) / 10.0,
                None,
                "ask_for_feedback",
                format!(
                    "Ask your team for input before deciding: {:.0}% of what you send them are requests and decisions, not questions.",
                    100.0 * l.directive_ratio.unwrap_or(0.0)
                ),
            ));
        }
        if l.autonomy.is_some_and(|a| a < 0.5) {
            suggestions.push((
                0.65,
                None,
                "involve_earlier",
                format!(
                    "Involve your team earlier and let work flow without you: {:.0}% of their traffic goes through you.",
                    100.0 * (1.0 - l.autonomy.unwrap_or(1.0))
                ),
            ));
        }
    }
    for (s, other, _) in missing.iter().take(1) {
        suggestions.push((
            0.5 + s / 10.0,
            Some(*other),
            "meet_a_missing_partner",
            format!("Get to know {}: {}", crate::refer(*other), missing[0].2),
        ));
    }
    suggestions.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(b.2)));
    for (rank, (s, other, kind, text)) in suggestions.into_iter().take(6).enumerate() {
        push("suggestion", rank as u32, other, kind.into(), Some(s), text);
    }
    out
}

/// Who could take `me` to `target`: colleagues with a two-way tie to me and a tie to the target,
/// ranked by the product of the two ties (events, geometric mean of both directions).
pub fn paths_to(
    ev: &Evidence,
    undirected: &graph::Graph,
    me: u32,
    target: u32,
) -> Vec<(u32, f64, String)> {
    let two_way = |a: u32, b: u32| {
        let x = ev.get(a, b).map_or(0.0, |p| p.n);
        let y = ev.get(b, a).map_or(0.0, |p| p.n);
        (x * y).sqrt()
    };
    let mut out: Vec<(u32, f64, String)> = undirected
        .out_targets(me as usize)
        .iter()
        .filter(|&&c| c != target)
        .filter_map(|&c| {
            let with_me = two_way(me, c);
            let with_target = undirected
                .weight(c as usize, target as usize)
                .unwrap_or(0.0);
            (with_me > 0.0 && with_target > 0.0).then(|| {
                (
                    c,
                    with_me * with_target.sqrt(),
                    format!(
                        "a two-way tie with you (strength {with_me:.1}), in touch with them (strength {with_target:.1})"
                    ),
                )
            })
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(5);
    out
}
