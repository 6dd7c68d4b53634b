//! Relational survey campaigns: an analyst or admin creates one for a scope with questions and
//! dates; each invitee gets a one-time link; the form saves and resumes until the close; at the
//! close the answers become the workspace's survey answers and an analysis runs. Raw answers are
//! read by nobody: no page, API or export returns them — only the respondent's own form shows
//! their own, until the close.

use crate::api::{Answer, blocking};
use crate::db::{Campaign, Db};
use crate::journal::parse_day;
use crate::pages::{day, esc, layout};
use crate::routes::{FORM_COOKIE, set_cookie};
use crate::{Failure, State, Viewer, auth};
use axum::extract::{Extension, Form, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::fmt::Write;

/// The standard questions: word, what the form asks, and whether it asks how often.
pub const QUESTIONS: &[(&str, &str, bool)] = &[
    (
        "advice",
        "Whom do you go to for advice about your work?",
        true,
    ),
    (
        "information",
        "From whom do you get information you need to do your work?",
        true,
    ),
    (
        "energy",
        "Who gives you energy when you work with them?",
        false,
    ),
    ("trust", "Whom do you trust to keep your confidence?", false),
    (
        "decision",
        "Whose sign-off do you need before you act?",
        false,
    ),
    (
        "cannot_decline",
        "Whose requests can you not turn down?",
        false,
    ),
    ("ally", "Who would back you if you made a mistake?", false),
];

/// At most this many colleagues per question.
pub const MAX_NAMED: usize = 25;

fn question_text(q: &str) -> String {
    QUESTIONS
        .iter()
        .find(|x| x.0 == q)
        .map_or_else(|| q.replace('_', " "), |x| x.1.to_string())
}

fn weighted(q: &str) -> bool {
    QUESTIONS.iter().any(|x| x.0 == q && x.2)
}

/// The secret invitation tokens are derived from (made once, kept in the settings).
fn secret(db: &Db) -> anyhow::Result<[u8; 32]> {
    let hex = match db.setting("survey_secret")? {
        Some(h) => h,
        None => {
            let t = auth::token();
            db.set_setting("survey_secret", &t)?;
            db.setting("survey_secret")?.unwrap_or(t)
        }
    };
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
    }
    Ok(k)
}

/// An invitee's link token: the same every time it is asked for (so the list can be exported
/// again), unguessable without the server's secret, stored only as its hash.
pub fn invite_token(db: &Db, campaign: i64, person: &str) -> anyhow::Result<String> {
    Ok(blake3::keyed_hash(
        &secret(db)?,
        format!("invite:{campaign}:{person}").as_bytes(),
    )
    .to_hex()
    .to_string())
}

/// A new campaign's settings.
#[derive(Deserialize)]
pub struct NewCampaign {
    pub name: String,
    /// `all` or a department's name.
    #[serde(default)]
    pub department: String,
    /// Question words, comma-separated (the standard ones or your own).
    pub questions: String,
    pub opens: String,
    pub closes: String,
    pub min_respondents: i64,
    #[serde(default)]
    pub match_interactions: Option<String>,
}

/// Creates a campaign and its invitees; returns its id.
pub fn create(state: &State, by: &str, c: &NewCampaign) -> anyhow::Result<i64> {
    let refuse = |m: String| -> anyhow::Error { app::Refused(m).into() };
    let live = state.live().ok_or_else(|| {
        refuse("nothing analyzed yet: the people file must be ingested first".into())
    })?;
    let (opens, closes) = match (parse_day(&c.opens), parse_day(&c.closes)) {
        (Some(o), Some(cl)) if cl > o => (o, cl),
        _ => {
            return Err(refuse(
                "give opening and closing days (YYYY-MM-DD), the close after the opening".into(),
            ));
        }
    };
    let questions: Vec<String> = c
        .questions
        .split(',')
        .map(|q| app::question_word(q.trim()))
        .filter(|q| !q.is_empty())
        .collect();
    if questions.is_empty() {
        return Err(refuse("pick at least one question".into()));
    }
    let department = c.department.trim();
    let invitees = if department.is_empty() || department == "all" {
        live.members_of(None)
    } else {
        live.members_of(Some(department))
    };
    if invitees.len() < 2 {
        return Err(refuse(format!(
            "the scope `{department}` holds fewer than two people"
        )));
    }
    let min = c
        .min_respondents
        .max(state.min_group.load(std::sync::atomic::Ordering::Relaxed) as i64);
    let scope = if department.is_empty() || department == "all" {
        "all".to_string()
    } else {
        format!("department:{department}")
    };
    let id = state.db.add_campaign(
        c.name.trim(),
        &scope,
        &questions.join(","),
        opens,
        closes,
        min,
        c.match_interactions.is_some(),
        by,
        auth::now(),
    )?;
    let rows = invitees
        .iter()
        .map(|p| {
            Ok((
                p.clone(),
                auth::token_hash(&invite_token(&state.db, id, p)?),
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    state.db.add_invitees(id, &rows)?;
    state.audit.write(
        by,
        "create survey",
        &format!("{id}: {} invitees", rows.len()),
    )?;
    Ok(id)
}

fn campaign_or_404(db: &Db, id: i64) -> anyhow::Result<Campaign> {
    db.campaign(id)?
        .ok_or_else(|| anyhow::anyhow!("no campaign {id}"))
}

pub async fn list_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let s = state.clone();
    let list = blocking(move || s.db.campaigns())
        .await
        .map_err(Failure::page)?;
    let departments = state
        .live()
        .map(|l| l.departments().to_vec())
        .unwrap_or_default();
    let mut body = String::from(
        "<h1>Surveys</h1><div class=\"wrap\"><table class=\"list\"><thead><tr><th scope=\"col\">Campaign</th><th scope=\"col\">Scope</th><th scope=\"col\">Closes</th><th scope=\"col\">Answered</th><th scope=\"col\">State</th></tr></thead><tbody>",
    );
    for c in &list {
        let _ = write!(
            body,
            "<tr><td><a href=\"/surveys/{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{} of {}</td><td>{}</td></tr>",
            c.id,
            esc(&c.name),
            esc(&c.scope),
            day(c.closes),
            c.submitted,
            c.invited,
            esc(&c.state)
        );
    }
    body.push_str("</tbody></table></div>");
    let mut depts = String::from("<option value=\"all\">the whole organization</option>");
    for d in &departments {
        let _ = write!(depts, "<option value=\"{}\">{}</option>", esc(d), esc(d));
    }
    let mut qs = String::new();
    for (q, text, _) in QUESTIONS {
        let _ = write!(qs, "<li><code>{q}</code>: {}</li>", esc(text));
    }
    let today = &crate::pages::today();
    let _ = write!(
        body,
        "<form class=\"card\" method=\"post\" action=\"/surveys\"><h2>New campaign</h2><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label for=\"name\">Name</label><input id=\"name\" name=\"name\" type=\"text\" required><label for=\"department\">Who is asked</label><select id=\"department\" name=\"department\">{depts}</select><label for=\"questions\">Questions (words, comma-separated; your own words are asked as written)</label><input id=\"questions\" name=\"questions\" type=\"text\" value=\"advice, information, energy\"><ul class=\"note\">{qs}</ul><label for=\"opens\">Opens</label><input id=\"opens\" name=\"opens\" type=\"date\" value=\"{today}\" required><label for=\"closes\">Closes</label><input id=\"closes\" name=\"closes\" type=\"date\" required><label for=\"min\">Fewest respondents before any result is shown</label><input id=\"min\" name=\"min_respondents\" type=\"number\" min=\"2\" value=\"5\"><label><input type=\"checkbox\" name=\"match_interactions\" value=\"on\"> Also match answers against interaction data</label><button type=\"submit\">Create and make the invitations</button></form>",
        esc(&v.csrf)
    );
    Ok(layout("Surveys", Some(&v), "/surveys", &body).into_response())
}

pub async fn create_form(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Form(c): Form<NewCampaign>,
) -> Answer {
    let s = state.clone();
    let by = v.account.email.clone();
    let id = blocking(move || create(&s, &by, &c))
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
}

pub async fn status_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<i64>,
) -> Answer {
    let s = state.clone();
    let c = blocking(move || campaign_or_404(&s.db, id))
        .await
        .map_err(Failure::page)?;
    let rate = if c.invited > 0 {
        100.0 * c.submitted as f64 / c.invited as f64
    } else {
        0.0
    };
    let met = c.submitted >= c.min_respondents;
    let mut body = format!(
        "<h1>{}</h1><p>Scope <b>{}</b> · questions <b>{}</b> · open {} to {} · state <b data-key=\"state\">{}</b></p><p><b data-key=\"submitted\">{}</b> of <b data-key=\"invited\">{}</b> answered ({rate:.0}%), {} saved without sending. Results need at least {} respondents: {}.</p><p class=\"note\">Who answered is shown as counts only; what anyone answered is shown to nobody.</p><p><a href=\"/surveys/{}/invitations.csv\" download>Invitation links (CSV) for your own mailer</a></p>",
        esc(&c.name),
        esc(&c.scope),
        esc(&c.questions),
        day(c.opens),
        day(c.closes),
        esc(&c.state),
        c.submitted,
        c.invited,
        c.partial,
        c.min_respondents,
        if met { "met" } else { "not met yet" },
        c.id
    );
    if c.state == "open" {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/surveys/{}/close\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Close now and analyze</button></form>",
            c.id,
            esc(&v.csrf)
        );
    }
    Ok(layout(&c.name, Some(&v), "/surveys", &body).into_response())
}

/// The invitation links as CSV: pseudonym (and name and e-mail for viewers who see identities).
pub async fn invitations_csv(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let s = state.clone();
    let csv = blocking(move || {
        let c = campaign_or_404(&s.db, id)?;
        s.audit
            .write(&v.account.email, "export invitations", &c.id.to_string())?;
        let live = s.live();
        let names = v.policy(&s).identities();
        let mut out = String::from("person,name,link,answered\n");
        for (p, answered) in s.db.invitees(id)? {
            let name = match (&live, names) {
                (Some(l), true) => l.colleague_label(&p),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{p},\"{}\",http://{host}/s/{},{answered}",
                name.replace('"', "\"\""),
                invite_token(&s.db, c.id, &p)?
            );
        }
        Ok(out)
    })
    .await
    .map_err(Failure::page)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"invitations.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Closes a campaign: its answers become the workspace's survey answers, and an analysis runs.
pub async fn close_form(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<i64>,
) -> Answer {
    let s = state.clone();
    blocking(move || close(&s, &v, id))
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
}

pub fn close(state: &State, v: &Viewer, id: i64) -> anyhow::Result<Option<i64>> {
    let Some(closing) = begin_close(&state.db, &v.account.email, id)? else {
        return Ok(None);
    };
    let s = state.clone();
    Ok(Some(crate::jobs::run(
        state,
        v,
        "survey",
        &format!("close campaign {id}"),
        move |session, progress| {
            let out = closing.finish(session, progress)?;
            s.reload()?;
            Ok(out)
        },
    )?))
}

/// A campaign being closed: its answers, the day, and the windows to analyze.
pub struct Closing {
    answers: Vec<(String, String, String, f64)>,
    day: String,
    windows: Vec<String>,
}

/// Marks a campaign closed (recorded) and collects what its close stores; None when it was not
/// open or nobody answered.
pub fn begin_close(db: &Db, by: &str, id: i64) -> anyhow::Result<Option<Closing>> {
    let c = campaign_or_404(db, id)?;
    if c.state != "open" {
        return Ok(None);
    }
    db.set_campaign_state(id, "closed")?;
    db.audit(&[(
        auth::now(),
        by.into(),
        "close survey".into(),
        id.to_string(),
    )])?;
    let answers: Vec<(String, String, String, f64)> = db
        .campaign_responses(id)?
        .into_iter()
        .map(|(r, q, col, w)| (r, q, col, w as f64))
        .collect();
    if answers.is_empty() {
        return Ok(None);
    }
    // Below the campaign's minimum, nothing is stored and nothing is shown.
    let respondents: std::collections::HashSet<&str> =
        answers.iter().map(|a| a.0.as_str()).collect();
    if (respondents.len() as i64) < c.min_respondents {
        db.set_campaign_state(id, "closed: too few respondents")?;
        return Ok(None);
    }
    let windows = db
        .setting("windows")?
        .unwrap_or_else(|| "all, month".into())
        .split(|ch: char| ch == ',' || ch.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Some(Closing {
        answers,
        day: crate::pages::today(),
        windows,
    }))
}

impl Closing {
    /// Stores the answers as one survey ingest run and analyzes the workspace.
    pub fn finish(
        self,
        session: &mut app::Session,
        progress: &dyn app::Progress,
    ) -> anyhow::Result<String> {
        let r = session.ingest_collected_answers(&self.answers, &self.day, progress)?;
        let req = app::analyze::AnalyzeRequest {
            windows: self.windows,
            ..Default::default()
        };
        let a = session.analyze(&req, progress)?;
        Ok(format!(
            "{} answers stored; {} people analyzed",
            r.answers,
            a.org.n()
        ))
    }
}

/// The invitation links of a campaign: (pseudonym, link, answered).
pub fn links(db: &Db, id: i64, base: &str) -> anyhow::Result<Vec<(String, String, bool)>> {
    let c = campaign_or_404(db, id)?;
    db.invitees(id)?
        .into_iter()
        .map(|(p, answered)| {
            let link = format!(
                "{}/s/{}",
                base.trim_end_matches('/'),
                invite_token(db, c.id, &p)?
            );
            Ok((p, link, answered))
        })
        .collect()
}

pub fn campaign(db: &Db, id: i64) -> anyhow::Result<Campaign> {
    campaign_or_404(db, id)
}

/// The respondent's form (the link is the credential; nobody signs in).
pub async fn form_page(
    axum::extract::State(state): axum::extract::State<State>,
    Path(token): Path<String>,
) -> Answer {
    let s = state.clone();
    let (c, me, mine) = blocking(move || {
        let (cid, me, _) = s.db.invitee(&auth::token_hash(&token))?.ok_or_else(|| {
            anyhow::anyhow!("no such invitation: the link is wrong or the survey was removed")
        })?;
        let c = campaign_or_404(&s.db, cid)?;
        let mine = s.db.own_responses(cid, &me)?;
        s.audit
            .write(&format!("respondent of survey {cid}"), "survey form", &me)?;
        Ok((c, me, mine))
    })
    .await
    .map_err(Failure::page)?;
    let live = state.live();
    let today = auth::now() / 86_400;
    let form = auth::token();
    let mut body = format!("<h1>{}</h1>", esc(&c.name));
    if c.state != "open" || today > c.closes {
        body.push_str("<p>This survey has closed. Thank you.</p>");
        return Ok(layout(&c.name, None, "", &body).into_response());
    }
    if today < c.opens {
        let _ = write!(body, "<p>This survey opens on {}.</p>", day(c.opens));
        return Ok(layout(&c.name, None, "", &body).into_response());
    }
    // Colleagues to choose from: the campaign's scope, minus the respondent.
    let scope = c.scope.strip_prefix("department:");
    let colleagues: Vec<(String, String)> = live
        .as_ref()
        .map(|l| {
            let mut v: Vec<(String, String)> = l
                .members_of(scope)
                .into_iter()
                .filter(|p| *p != me)
                .map(|p| (l.colleague_label(&p), p))
                .collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    let _ = write!(
        body,
        "<p>For each question, name the colleagues who come to mind (up to {MAX_NAMED}). It takes a few minutes; you can save and come back with the same link until {}.</p><p class=\"note\"><b>Who sees what:</b> nobody sees your answers — not your manager, not an analyst, not an admin. When the survey closes they count, with everyone's, in the organization's picture, shown only for groups of at least the minimum size and only if at least {} people answered; you see your own mirror.</p><datalist id=\"colleagues\">",
        day(c.closes),
        c.min_respondents
    );
    for (label, p) in &colleagues {
        let _ = write!(
            body,
            "<option value=\"{}\" label=\"{}\">",
            esc(p),
            esc(label)
        );
    }
    let _ = write!(
        body,
        "</datalist><form class=\"card survey\" method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{form}\">"
    );
    for (qi, q) in c.questions.split(',').enumerate() {
        let chosen: Vec<&(String, String, i64)> = mine.iter().filter(|a| a.0 == q).collect();
        let _ = write!(
            body,
            "<fieldset><legend>{}</legend>",
            esc(&question_text(q))
        );
        for slot in 0..MAX_NAMED.min(chosen.len() + 3) {
            let (value, weight) = chosen
                .get(slot)
                .map_or((String::new(), 1), |a| (a.1.clone(), a.2));
            let _ = write!(
                body,
                "<label for=\"q{qi}-{slot}\">Colleague {}</label><input id=\"q{qi}-{slot}\" name=\"a\" type=\"text\" list=\"colleagues\" value=\"{}\" autocomplete=\"off\" data-question=\"{}\">",
                slot + 1,
                esc(&value),
                esc(q)
            );
            let _ = write!(
                body,
                "<input type=\"hidden\" name=\"q\" value=\"{}\">",
                esc(q)
            );
            if weighted(q) {
                let _ = write!(
                    body,
                    "<label for=\"w{qi}-{slot}\">How often</label><select id=\"w{qi}-{slot}\" name=\"w\"><option value=\"1\"{}>rarely</option><option value=\"2\"{}>monthly</option><option value=\"3\"{}>weekly</option><option value=\"4\"{}>daily</option></select>",
                    if weight <= 1 { " selected" } else { "" },
                    if weight == 2 { " selected" } else { "" },
                    if weight == 3 { " selected" } else { "" },
                    if weight >= 4 { " selected" } else { "" }
                );
            } else {
                body.push_str("<input type=\"hidden\" name=\"w\" value=\"1\">");
            }
        }
        body.push_str("</fieldset>");
    }
    body.push_str("<button type=\"submit\" name=\"action\" value=\"save\" class=\"plain\">Save and come back later</button> <button type=\"submit\" name=\"action\" value=\"submit\">Send my answers</button></form>");
    let mut res = layout(&c.name, None, "", &body).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &form, Some(4 * 3600), state.tls)
            .parse()
            .expect("cookie"),
    );
    Ok(res)
}

/// Saves (or sends) the respondent's answers: every `a` (a colleague's pseudonym, blank to
/// skip) with its `q` and `w` in order.
pub async fn form_post(
    axum::extract::State(state): axum::extract::State<State>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Answer {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the form: {e}"),
        )
        .page()
    })?;
    let pick = |k: &str| {
        fields
            .iter()
            .filter(|f| f.0 == k)
            .map(|f| f.1.clone())
            .collect::<Vec<_>>()
    };
    let (a, q, w) = (pick("a"), pick("q"), pick("w"));
    let submit = fields.iter().any(|f| f.0 == "action" && f.1 == "submit");
    let s = state.clone();
    let thanks = blocking(move || {
        let (cid, me, _) =
            s.db.invitee(&auth::token_hash(&token))?
                .ok_or_else(|| anyhow::anyhow!("no such invitation"))?;
        let c = campaign_or_404(&s.db, cid)?;
        let today = auth::now() / 86_400;
        if c.state != "open" || today > c.closes || today < c.opens {
            return Err(app::Refused("this survey is not open".into()).into());
        }
        let live = s.live().ok_or_else(|| anyhow::anyhow!("no analysis"))?;
        let scope: std::collections::HashSet<String> = live
            .members_of(c.scope.strip_prefix("department:"))
            .into_iter()
            .collect();
        let asked: std::collections::HashSet<&str> = c.questions.split(',').collect();
        let mut answers: Vec<(String, String, i64)> = Vec::new();
        for ((name, question), weight) in a.iter().zip(&q).zip(&w) {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            if !asked.contains(question.as_str()) {
                return Err(
                    app::Refused(format!("no question `{question}` in this survey")).into(),
                );
            }
            if !scope.contains(name) || name == me {
                return Err(app::Refused(format!(
                    "`{name}` is not one of the colleagues this survey asks about"
                ))
                .into());
            }
            let weight: i64 = weight.parse().unwrap_or(1).clamp(1, 4);
            if !answers.iter().any(|x| x.0 == *question && x.1 == name) {
                answers.push((question.clone(), name.to_string(), weight));
            }
        }
        s.db.save_responses(cid, &me, &answers, submit, auth::now())?;
        s.audit.write(
            &format!("respondent of survey {cid}"),
            if submit {
                "survey sent"
            } else {
                "survey saved"
            },
            &me,
        )?;
        Ok((c.name, submit))
    })
    .await
    .map_err(Failure::page)?;
    let body = if thanks.1 {
        "<p role=\"status\">Thank you: your answers are sent. You can change them with the same link until the survey closes.</p>"
    } else {
        "<p role=\"status\">Saved. Come back with the same link to finish.</p>"
    };
    Ok(layout(
        &thanks.0,
        None,
        "",
        &format!("<h1>{}</h1>{body}", esc(&thanks.0)),
    )
    .into_response())
}
