//! The hierarchy behaviour implies: for each person, the colleague most likely to be their
//! manager, using no org chart at all.
//!
//! A candidate is anyone the person exchanged events with who more likely than not holds power
//! over them (dominance probability above ½). Its score is the dominance probability times the
//! square root of the events and votes between them (managers are both above and close). The probability
//! of each candidate is its share of the scores plus a fixed score of 1 for "no manager here"
//! (the top of an organization, or a manager who is not in the data).

use crate::dyads::Dyad;

#[derive(Debug, Clone, PartialEq)]
pub struct InferredManager {
    pub person: u32,
    pub manager: u32,
    pub p: f64,
    /// How many colleagues were candidates.
    pub candidates: u32,
}

pub fn infer_managers(n: usize, dyads: &[Dyad]) -> Vec<InferredManager> {
    let mut scores: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for d in dyads {
        // Events, or for survey-only pairs the weighted answers (votes), measure closeness.
        let volume = (d.events_ab + d.events_ba + d.votes_a + d.votes_b).sqrt();
        if volume <= 0.0 || (d.a as usize) >= n || (d.b as usize) >= n {
            continue;
        }
        if d.dominance_p > 0.5 {
            scores[d.b as usize].push((d.a, d.dominance_p * volume));
        } else if d.dominance_p < 0.5 {
            scores[d.a as usize].push((d.b, (1.0 - d.dominance_p) * volume));
        }
    }
    let mut out = Vec::new();
    for (person, cands) in scores.into_iter().enumerate() {
        let total: f64 = cands.iter().map(|c| c.1).sum::<f64>() + 1.0;
        if let Some(&(manager, s)) = cands
            .iter()
            .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
        {
            out.push(InferredManager {
                person: person as u32,
                manager,
                p: s / total,
                candidates: cands.len() as u32,
            });
        }
    }
    out
}
