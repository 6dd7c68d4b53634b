//! The result tables as columns, for the workspace (Parquet) and for export. People are named by
//! index (`i32`); exports join ids. Column meanings are documented in docs/OUTPUT.md.

use crate::WindowResult;
use store::table::{ColumnData, ColumnDef, ColumnType};

/// A finished table: column definitions and data.
pub struct Table {
    pub name: &'static str,
    pub description: &'static str,
    pub defs: Vec<ColumnDef>,
    pub cols: Vec<ColumnData>,
}

/// Columns that name a person by index (exports turn them into ids).
pub const PERSON_COLUMNS: &[&str] = &[
    "person",
    "a",
    "b",
    "manager",
    "other",
    "leader",
    "responder",
    "requester",
];

impl Table {
    fn new(name: &'static str, description: &'static str) -> Table {
        Table {
            name,
            description,
            defs: Vec::new(),
            cols: Vec::new(),
        }
    }
    fn col(&mut self, name: &'static str, ty: ColumnType, nullable: bool, data: ColumnData) {
        self.defs.push(if nullable {
            ColumnDef::nullable(name, ty)
        } else {
            ColumnDef::new(name, ty)
        });
        self.cols.push(data);
    }
    fn str(&mut self, name: &'static str, v: Vec<String>) {
        self.col(name, ColumnType::Str, false, ColumnData::Str(v));
    }
    fn ostr(&mut self, name: &'static str, v: Vec<Option<String>>) {
        self.col(name, ColumnType::Str, true, ColumnData::OptStr(v));
    }
    fn i32(&mut self, name: &'static str, v: Vec<i32>) {
        self.col(name, ColumnType::I32, false, ColumnData::I32(v));
    }
    fn oi32(&mut self, name: &'static str, v: Vec<Option<i32>>) {
        self.col(name, ColumnType::I32, true, ColumnData::OptI32(v));
    }
    fn f64(&mut self, name: &'static str, v: Vec<f64>) {
        self.col(name, ColumnType::F64, false, ColumnData::F64(v));
    }
    fn of64(&mut self, name: &'static str, v: Vec<Option<f64>>) {
        self.col(name, ColumnType::F64, true, ColumnData::OptF64(v));
    }

    pub fn rows(&self) -> usize {
        self.cols.first().map_or(0, ColumnData::len)
    }
}

macro_rules! gather {
    ($results:expr, $field:ident, $row:ident => $e:expr) => {
        $results
            .iter()
            .flat_map(|r| r.$field.iter().map(|$row| $e))
            .collect::<Vec<_>>()
    };
}

/// The window label of every row, as a dictionary column (one string per window, not per row).
fn windows<T>(results: &[WindowResult], f: impl Fn(&WindowResult) -> &[T]) -> ColumnData {
    ColumnData::Dict {
        values: std::sync::Arc::new(results.iter().map(|r| r.window.clone()).collect()),
        codes: results
            .iter()
            .enumerate()
            .flat_map(|(i, r)| std::iter::repeat_n(i as u32, f(r).len()))
            .collect(),
    }
}

pub fn people(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "people",
        "formal and informal power, power gap, roles per person and window",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.people),
    );
    t.i32("person", gather!(results, people, r => r.person as i32));
    t.oi32(
        "level",
        gather!(results, people, r => r.level.map(|v| v as i32)),
    );
    t.oi32(
        "direct_span",
        gather!(results, people, r => r.direct_span.map(|v| v as i32)),
    );
    t.oi32(
        "total_span",
        gather!(results, people, r => r.total_span.map(|v| v as i32)),
    );
    t.oi32(
        "distance_to_top",
        gather!(results, people, r => r.distance_to_top.map(|v| v as i32)),
    );
    t.of64("formal_pct", gather!(results, people, r => r.formal_pct));
    t.f64("influence", gather!(results, people, r => r.influence));
    t.f64(
        "influence_pct",
        gather!(results, people, r => r.influence_pct),
    );
    t.f64("betweenness", gather!(results, people, r => r.betweenness));
    t.f64(
        "brokerage_pct",
        gather!(results, people, r => r.brokerage_pct),
    );
    t.f64("reach", gather!(results, people, r => r.reach));
    t.f64("dependence", gather!(results, people, r => r.dependence));
    t.f64(
        "dependence_pct",
        gather!(results, people, r => r.dependence_pct),
    );
    t.f64("status", gather!(results, people, r => r.status));
    for (k, name) in crate::status::FEATURE_COLUMNS.iter().enumerate() {
        t.f64(name, gather!(results, people, r => r.status_features[k]));
    }
    t.f64(
        "informal_pct",
        gather!(results, people, r => r.informal_pct),
    );
    t.of64("power_gap", gather!(results, people, r => r.power_gap));
    t.of64("constraint", gather!(results, people, r => r.constraint));
    t.of64(
        "effective_size",
        gather!(results, people, r => r.effective_size),
    );
    t.i32(
        "community",
        gather!(results, people, r => r.community as i32),
    );
    t.i32("contacts", gather!(results, people, r => r.contacts as i32));
    t.f64("events_out", gather!(results, people, r => r.events_out));
    t.f64("events_in", gather!(results, people, r => r.events_in));
    t.f64(
        "requests_made",
        gather!(results, people, r => r.requests_made),
    );
    t.f64(
        "requests_received",
        gather!(results, people, r => r.requests_received),
    );
    t.f64("help_given", gather!(results, people, r => r.help_given));
    t.f64(
        "help_received",
        gather!(results, people, r => r.help_received),
    );
    t.of64(
        "reply_latency_s",
        gather!(results, people, r => r.reply_latency_s),
    );
    t.of64(
        "unanswered_share",
        gather!(results, people, r => r.unanswered_share),
    );
    t.of64(
        "bypass_share",
        gather!(results, people, r => r.bypass_share),
    );
    t.of64("bypass_lo", gather!(results, people, r => r.bypass_lo));
    t.str(
        "roles",
        gather!(results, people, r => r.roles.iter().map(|x| x.name).collect::<Vec<_>>().join(",")),
    );
    t.str(
        "role_evidence",
        gather!(results, people, r => r.roles.iter().map(|x| format!("{}: {}", x.name, x.evidence)).collect::<Vec<_>>().join("; ")),
    );
    t
}

pub fn dyads(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "dyads",
        "power balance of every pair that interacted, a < b",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.dyads),
    );
    t.i32("a", gather!(results, dyads, d => d.a as i32));
    t.i32("b", gather!(results, dyads, d => d.b as i32));
    t.ostr(
        "relation",
        gather!(results, dyads, d => d.relation.map(str::to_string)),
    );
    t.f64("balance", gather!(results, dyads, d => d.balance));
    t.f64("balance_lo", gather!(results, dyads, d => d.balance_lo));
    t.f64("balance_hi", gather!(results, dyads, d => d.balance_hi));
    t.f64("dominance_p", gather!(results, dyads, d => d.dominance_p));
    t.f64("status_p", gather!(results, dyads, d => d.status_p));
    t.i32(
        "against_status",
        gather!(results, dyads, d => d.against_status as i32),
    );
    t.f64("events_ab", gather!(results, dyads, d => d.events_ab));
    t.f64("events_ba", gather!(results, dyads, d => d.events_ba));
    t.f64("requests_ab", gather!(results, dyads, d => d.requests_ab));
    t.f64("requests_ba", gather!(results, dyads, d => d.requests_ba));
    t.f64(
        "request_balance",
        gather!(results, dyads, d => d.request_balance),
    );
    t.of64("latency_a_s", gather!(results, dyads, d => d.latency_a_s));
    t.of64("latency_b_s", gather!(results, dyads, d => d.latency_b_s));
    t.of64("resistance_a", gather!(results, dyads, d => d.resistance_a));
    t.of64("resistance_b", gather!(results, dyads, d => d.resistance_b));
    t.of64("initiation_a", gather!(results, dyads, d => d.initiation_a));
    t.f64("attention_ab", gather!(results, dyads, d => d.attention_ab));
    t.f64("attention_ba", gather!(results, dyads, d => d.attention_ba));
    t.f64("votes_a", gather!(results, dyads, d => d.votes_a));
    t.f64("votes_b", gather!(results, dyads, d => d.votes_b));
    t.f64(
        "evidence_votes_a",
        gather!(results, dyads, d => d.evidence_votes_a),
    );
    t.f64(
        "evidence_votes_b",
        gather!(results, dyads, d => d.evidence_votes_b),
    );
    t
}

pub fn inferred_managers(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "inferred_managers",
        "most likely manager of each person from behaviour alone",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.inferred_managers),
    );
    t.i32(
        "person",
        gather!(results, inferred_managers, m => m.person as i32),
    );
    t.i32(
        "manager",
        gather!(results, inferred_managers, m => m.manager as i32),
    );
    t.f64("p", gather!(results, inferred_managers, m => m.p));
    t.i32(
        "candidates",
        gather!(results, inferred_managers, m => m.candidates as i32),
    );
    t
}

pub fn groups(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "groups",
        "departments, communities, flows between groups, coalitions and the currency panel",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.groups),
    );
    t.str("kind", gather!(results, groups, g => g.kind.to_string()));
    t.str("group", gather!(results, groups, g => g.group.clone()));
    t.ostr(
        "other_group",
        gather!(results, groups, g => g.other.clone()),
    );
    t.str(
        "measure",
        gather!(results, groups, g => g.measure.to_string()),
    );
    t.of64("value", gather!(results, groups, g => g.value));
    t.i32("members", gather!(results, groups, g => g.members as i32));
    t.oi32(
        "person",
        gather!(results, groups, g => g.person.map(|p| p as i32)),
    );
    t
}

pub fn leaders(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "leaders",
        "power-over ↔ power-with position of each leader with their team",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.leaders),
    );
    t.i32("leader", gather!(results, leaders, l => l.leader as i32));
    t.i32(
        "team_size",
        gather!(results, leaders, l => l.team_size as i32),
    );
    t.of64(
        "directive_ratio",
        gather!(results, leaders, l => l.directive_ratio),
    );
    t.of64("autonomy", gather!(results, leaders, l => l.autonomy));
    t.of64("airtime", gather!(results, leaders, l => l.airtime));
    t.of64("reciprocity", gather!(results, leaders, l => l.reciprocity));
    t.of64(
        "leaderfulness",
        gather!(results, leaders, l => l.leaderfulness),
    );
    t.f64("position", gather!(results, leaders, l => l.position));
    t.str("style", gather!(results, leaders, l => l.style.to_string()));
    t.f64(
        "evidence_events",
        gather!(results, leaders, l => l.evidence_events),
    );
    t
}

pub fn mirrors(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "mirrors",
        "personal mirror of every person: compass, balance, allies, missing partners, suggestions",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.mirrors),
    );
    t.i32("person", gather!(results, mirrors, m => m.person as i32));
    t.str(
        "section",
        gather!(results, mirrors, m => m.section.to_string()),
    );
    t.i32("rank", gather!(results, mirrors, m => m.rank as i32));
    t.oi32(
        "other",
        gather!(results, mirrors, m => m.other.map(|o| o as i32)),
    );
    t.str("label", gather!(results, mirrors, m => m.label.clone()));
    t.of64("value", gather!(results, mirrors, m => m.value));
    t.str(
        "evidence",
        gather!(results, mirrors, m => m.evidence.clone()),
    );
    t
}

pub fn findings(results: &[WindowResult]) -> Table {
    let mut t = Table::new(
        "findings",
        "what the org mirror shows, with evidence and confidence",
    );
    t.col(
        "window",
        ColumnType::Str,
        false,
        windows(results, |r| &r.findings),
    );
    t.str("kind", gather!(results, findings, f => f.kind.to_string()));
    t.oi32(
        "group_size",
        gather!(results, findings, f => f.group_size.map(|m| m as i32)),
    );
    t.oi32(
        "person",
        gather!(results, findings, f => f.person.map(|p| p as i32)),
    );
    t.oi32(
        "other",
        gather!(results, findings, f => f.other.map(|p| p as i32)),
    );
    t.ostr("group", gather!(results, findings, f => f.group.clone()));
    t.f64("value", gather!(results, findings, f => f.value));
    t.f64("confidence", gather!(results, findings, f => f.confidence));
    t.str(
        "evidence",
        gather!(results, findings, f => f.evidence.clone()),
    );
    t
}

/// Every table, built one at a time (for writing each and dropping it before the next).
pub const BUILDERS: [fn(&[WindowResult]) -> Table; 7] = [
    people,
    dyads,
    inferred_managers,
    groups,
    leaders,
    mirrors,
    findings,
];

pub fn all(results: &[WindowResult]) -> Vec<Table> {
    BUILDERS.iter().map(|build| build(results)).collect()
}

/// Names of the tables `analyze` stores.
pub const TABLES: &[&str] = &[
    "people",
    "dyads",
    "inferred_managers",
    "groups",
    "leaders",
    "mirrors",
    "findings",
];
