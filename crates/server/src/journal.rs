//! A person's own journal of their relationships: what happened with whom, and when (never what
//! was said). Only its author reads it, through the application core's policy; it feeds their own
//! mirror page and nothing else, and its author can export or delete it at any time (deletion
//! removes the rows from the database).

use crate::api::{Answer, blocking, read};
use crate::db::{JOURNAL_KINDS, JournalEntry};
use crate::{Failure, State, Viewer};
use axum::Json;
use axum::extract::{Extension, Path};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::fmt::Write;

/// A day as `YYYY-MM-DD` (1970–2100) → days since 1970-01-01.
pub fn parse_day(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let days = d
        .signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    (1970..=2100)
        .contains(&chrono::Datelike::year(&d))
        .then_some(days)
}

#[derive(Deserialize)]
pub struct NewEntry {
    pub day: String,
    pub other: String,
    pub what: String,
}

fn bad(m: impl Into<String>) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, "bad_request", m)
}

/// Checks and stores an entry for the viewer; returns its id.
async fn add(state: &State, v: &Viewer, e: NewEntry) -> Result<i64, Failure> {
    let day =
        parse_day(&e.day).ok_or_else(|| bad(format!("`{}` is not a day (YYYY-MM-DD)", e.day)))?;
    if !JOURNAL_KINDS.iter().any(|k| k.0 == e.what) {
        return Err(bad(format!(
            "`{}` is not something a journal records: {}",
            e.what,
            JOURNAL_KINDS
                .iter()
                .map(|k| k.0)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let other = e.other.trim().to_string();
    let account = v.account.id;
    let db = state.db.clone();
    read(state, v, move |live, policy, log| {
        let me = policy.own_journal(log, "journal add")?;
        if live.person(&other).is_none() || other == me {
            return Err(app::Refused(format!("no colleague with pseudonym `{other}`")).into());
        }
        db.add_journal(account, day, &other, &e.what, crate::auth::now())
    })
    .await
}

/// The viewer's entries, after the policy allowed (and recorded) the read.
pub async fn entries(
    state: &State,
    v: &Viewer,
    action: &'static str,
) -> Result<Vec<JournalEntry>, Failure> {
    let policy = v.policy(state);
    let mut log = state.audit.clone();
    let db = state.db.clone();
    let account = v.account.id;
    blocking(move || {
        policy.own_journal(&mut log, action)?;
        db.journal(account)
    })
    .await
}

async fn delete(state: &State, v: &Viewer, id: Option<i64>) -> Result<u64, Failure> {
    let policy = v.policy(state);
    let mut log = state.audit.clone();
    let db = state.db.clone();
    let account = v.account.id;
    blocking(move || {
        policy.own_journal(&mut log, "journal delete")?;
        match id {
            Some(id) => Ok(db.delete_journal(account, id)? as u64),
            None => db.clear_journal(account),
        }
    })
    .await
}

pub async fn api_list(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let list = entries(&state, &v, "journal read").await?;
    Ok(Json(serde_json::json!({"entries": list})).into_response())
}

pub async fn api_add(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Json(e): Json<NewEntry>,
) -> Answer {
    let id = add(&state, &v, e).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))).into_response())
}

pub async fn api_delete_one(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<i64>,
) -> Answer {
    match delete(&state, &v, Some(id)).await? {
        0 => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such entry in your journal",
        )),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

pub async fn api_delete_all(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let n = delete(&state, &v, None).await?;
    Ok(Json(serde_json::json!({"deleted": n})).into_response())
}

/// The viewer's journal as CSV.
pub async fn export(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let list = entries(&state, &v, "journal export").await?;
    let mut csv = String::from("day,colleague,what\n");
    for e in &list {
        let _ = writeln!(csv, "{},{},{}", crate::pages::day(e.day), e.other, e.what);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"journal.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

pub async fn form_add(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    axum::extract::Form(e): axum::extract::Form<NewEntry>,
) -> Answer {
    add(&state, &v, e).await.map_err(Failure::page)?;
    Ok(Redirect::to("/me#journal").into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    /// An entry's id, or `all`.
    pub entry: String,
}

pub async fn form_delete(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    axum::extract::Form(f): axum::extract::Form<DeleteForm>,
) -> Answer {
    let id = match f.entry.as_str() {
        "all" => None,
        x => Some(x.parse().map_err(|_| bad("no such entry").page())?),
    };
    delete(&state, &v, id).await.map_err(Failure::page)?;
    Ok(Redirect::to("/me#journal").into_response())
}

/// The form and the list of entries on the mirror page.
pub fn form_html(v: &Viewer, named: &[String], list: &[JournalEntry], today: &str) -> String {
    let csrf = crate::pages::esc(&v.csrf);
    let mut s = format!(
        "<section id=\"journal-form\"><h2>Add to your journal</h2><form class=\"card\" method=\"post\" action=\"/me/journal\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"j-day\">Day</label><input id=\"j-day\" name=\"day\" type=\"date\" value=\"{today}\" required><label for=\"j-other\">Colleague (pseudonym)</label><input id=\"j-other\" name=\"other\" type=\"text\" list=\"j-named\" required autocomplete=\"off\"><datalist id=\"j-named\">"
    );
    for p in named {
        let _ = write!(s, "<option value=\"{}\">", crate::pages::esc(p));
    }
    s.push_str("</datalist><label for=\"j-what\">What happened</label><select id=\"j-what\" name=\"what\">");
    for (k, label) in JOURNAL_KINDS {
        let _ = write!(s, "<option value=\"{k}\">{label}</option>");
    }
    s.push_str("</select><button type=\"submit\">Add</button></form>");
    if !list.is_empty() {
        s.push_str("<table class=\"list\" id=\"journal-entries\"><thead><tr><th scope=\"col\">Day</th><th scope=\"col\">Colleague</th><th scope=\"col\">What</th><th scope=\"col\"></th></tr></thead><tbody>");
        for e in list {
            let label = JOURNAL_KINDS
                .iter()
                .find(|k| k.0 == e.what)
                .map_or(e.what.as_str(), |k| k.1);
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/me/journal/delete\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"entry\" value=\"{}\"><button class=\"plain\" type=\"submit\" aria-label=\"delete the entry of {}\">Delete</button></form></td></tr>",
                crate::pages::day(e.day),
                crate::pages::esc(&e.other),
                crate::pages::esc(label),
                e.id,
                crate::pages::day(e.day),
            );
        }
        let _ = write!(
            s,
            "</tbody></table><p><a href=\"/api/v1/me/journal/export\" download>Export your journal (CSV)</a></p><form method=\"post\" action=\"/me/journal/delete\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"entry\" value=\"all\"><button class=\"plain\" type=\"submit\">Delete your whole journal</button></form>"
        );
    }
    s.push_str("</section>");
    s
}
