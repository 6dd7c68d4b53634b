//! A workspace's own status weights: the model fitted on the organization's formal chart.

use crate::Session;
use crate::analyze::status_weights_path;
use anyhow::{Context, Result, bail};
use mirror::status::{self, Features, FitOptions, Labelled, StatusModel};
use std::path::PathBuf;
use store::Store;

/// What `calibrate` fitted and where it stored it.
#[derive(Clone, Debug)]
pub struct Calibration {
    pub people: usize,
    pub pairs: usize,
    pub in_sample: f64,
    pub cross_validated: f64,
    pub calibration_gap: f64,
    pub brier: f64,
    pub shipped: f64,
    pub weights: Vec<(String, f64)>,
    pub pair_weight: f64,
    pub path: PathBuf,
}

impl Session {
    /// Removes the workspace's own weights (admins only); true when there were some.
    pub fn reset_calibration(&mut self) -> Result<bool> {
        self.policy.require_manager(&mut self.store, "calibrate")?;
        let _lock = self.store.lock("calibrate")?;
        let path = status_weights_path(&self.store);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| path.display().to_string()),
        }
    }

    /// Fits the status model on the workspace's formal chart, with the features of the stored
    /// analysis (window `all`), and stores the weights for the next `analyze` (admins only).
    /// In-sample and five-fold cross-validated (by people) accuracy and calibration are reported;
    /// nothing else stored changes.
    pub fn calibrate(&mut self) -> Result<Calibration> {
        self.policy.require_manager(&mut self.store, "calibrate")?;
        let _lock = self.store.lock("calibrate")?;
        let path = status_weights_path(&self.store);
        // The features of the stored analysis (window `all`): calibrating changes nothing stored
        // but the weights file.
        let people = self.load("people")?;
        let org = self.org()?;
        let Some(chart) = org.chart.as_ref().filter(|_| org.has_hierarchy()) else {
            bail!(
                "calibrate needs the formal chart: the people file gives no managers (ingest one with --people)"
            );
        };
        let mut values = vec![[0.5; status::K]; org.n()];
        let mut seen = 0usize;
        for i in (0..people.rows()).filter(|&i| people.str("window", i) == "all") {
            let Some(p) = people
                .person("person", i)
                .filter(|&p| (p as usize) < org.n())
            else {
                continue;
            };
            for (k, column) in status::FEATURE_COLUMNS.iter().enumerate() {
                values[p as usize][k] = people.num(column, i).unwrap_or(0.5);
            }
            seen += 1;
        }
        if seen == 0 {
            bail!(
                "calibrate reads the window `all` of the stored analysis: run `orgmirror analyze --window all` first"
            );
        }
        let dyads = self.load("dyads")?;
        let balances = (0..dyads.rows())
            .filter(|&i| dyads.str("window", i) == "all")
            .filter_map(|i| {
                Some((
                    dyads.person("a", i)?,
                    dyads.person("b", i)?,
                    dyads.num("balance", i)?,
                ))
            })
            .collect();
        // Rank by the chart's level band (1 = top), for people in the chart's trees: someone with
        // neither a manager nor reports (a correspondent the people file does not place) is left out.
        let placed = |p: usize| chart.manager(p).is_some() || !chart.reports(p).is_empty();
        let set = Labelled {
            name: "workspace".into(),
            features: Features::from_values(values),
            balances,
            rank: (0..org.n())
                .map(|p| placed(p).then(|| chart.level(p) as f64))
                .collect(),
        };
        let pairs = status::ordered_pairs(&set).len();
        if pairs < 50 {
            bail!(
                "calibrate needs at least 50 pairs of people at different levels; the chart gives {pairs}"
            );
        }
        let shipped = StatusModel::shipped();
        let mut model = status::fit(std::slice::from_ref(&set), &FitOptions::default());
        let (cv, cv_pairs, cv_reliability) = cross_validated(&set);
        let (fit_acc, shipped_acc) = (
            status::accuracy(&model, &set),
            status::accuracy(&shipped, &set),
        );
        model.note = format!(
            "fitted by orgmirror calibrate on this workspace's chart ({} people, {pairs} pairs at different levels): \
         in-sample {fit_acc:.3}, five-fold cross-validated by people {cv:.3} ({cv_pairs} pairs; calibration gap {:.3}, Brier {:.3}); shipped weights {shipped_acc:.3}",
            org.n(),
            cv_reliability.gap,
            cv_reliability.brier
        );
        std::fs::write(&path, model.to_json()).with_context(|| path.display().to_string())?;
        Ok(Calibration {
            people: org.n(),
            pairs,
            in_sample: fit_acc,
            cross_validated: cv,
            calibration_gap: cv_reliability.gap,
            brier: cv_reliability.brier,
            shipped: shipped_acc,
            weights: model
                .features
                .iter()
                .zip(&model.weights)
                .map(|(n, w)| (n.to_string(), *w))
                .collect(),
            pair_weight: model.pair_weight,
            path,
        })
    }
}

/// Five-fold cross-validation by people: pairs whose two people are both in the held-out fifth,
/// predicted by a fit on pairs with neither in it.
fn cross_validated(set: &Labelled) -> (f64, usize, status::Reliability) {
    let n = set.rank.len();
    let fold = |p: usize| (p.wrapping_mul(0x9E37_79B9) >> 7) % 5;
    let (mut right, mut pairs) = (0.0, 0usize);
    let mut predictions = Vec::new();
    for k in 0..5 {
        let keep = |p: usize, inside: bool| (fold(p) == k) == inside;
        let part = |inside: bool| Labelled {
            name: set.name.clone(),
            features: set.features.clone(),
            balances: set.balances.clone(),
            rank: (0..n)
                .map(|p| set.rank[p].filter(|_| keep(p, inside)))
                .collect(),
        };
        let model = status::fit(&[part(false)], &FitOptions::default());
        let test = part(true);
        let s = model.strengths(&test.features);
        for (_, bal, hi, lo) in status::ordered_pairs(&test) {
            let p = model.p_above(s[hi as usize], s[lo as usize], bal);
            right += status::pair_score(p, 0.5);
            pairs += 1;
            predictions.push(if status::pair_side(hi, lo) {
                (p, true)
            } else {
                (1.0 - p, false)
            });
        }
    }
    (
        right / pairs.max(1) as f64,
        pairs,
        status::reliability(&predictions),
    )
}
