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

/// A respondent's link shows their own mirror for this many days after the closing day.
pub const MIRROR_DAYS: i64 = 30;

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
#[derive(Deserialize, Default)]
pub struct NewCampaign {
    pub name: String,
    /// `all` or a department's name.
    #[serde(default)]
    pub department: String,
    /// A team and its neighbours: the leader's pseudonym or people-file id (instead of a
    /// department).
    #[serde(default)]
    pub team: String,
    /// An uploaded list: people-file ids or pseudonyms, one per line or comma-separated
    /// (instead of a department or a team).
    #[serde(default)]
    pub people: String,
    /// Question words, comma-separated (the standard ones or your own).
    pub questions: String,
    pub opens: String,
    pub closes: String,
    pub min_respondents: i64,
    #[serde(default)]
    pub match_interactions: Option<String>,
}

/// Who a campaign asks: its stored scope and its invitees (pseudonyms).
fn scope_of(live: &app::live::Live, c: &NewCampaign) -> anyhow::Result<(String, Vec<String>)> {
    let refuse = |m: String| -> anyhow::Error { app::Refused(m).into() };
    let person = |text: &str| -> Option<String> {
        live.person(text)
            .or_else(|| live.person_by_id(text))
            .map(|i| live.pseudonym(i).to_string())
    };
    if !c.people.trim().is_empty() {
        let mut out = Vec::new();
        for (line, text) in c
            .people
            .split(['\n', ','])
            .map(str::trim)
            .enumerate()
            .filter(|x| !x.1.is_empty())
        {
            let p = person(text).ok_or_else(|| {
                refuse(format!(
                    "the list, entry {}: `{text}` is no person of the workspace (give people-file ids or pseudonyms)",
                    line + 1
                ))
            })?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        return Ok(("list".into(), out));
    }
    let team = c.team.trim();
    if !team.is_empty() {
        let leader = person(team)
            .ok_or_else(|| refuse(format!("`{team}` is no person of the workspace")))?;
        let (mut members, near) = live
            .team_and_neighbours(&leader)
            .map_err(|e| refuse(format!("{e}")))?;
        members.extend(near);
        return Ok((format!("team:{leader}"), members));
    }
    let department = c.department.trim();
    if department.is_empty() || department == "all" {
        Ok(("all".into(), live.members_of(None)))
    } else {
        Ok((
            format!("department:{department}"),
            live.members_of(Some(department)),
        ))
    }
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
    let (scope, invitees) = scope_of(&live, c)?;
    if invitees.len() < 2 {
        return Err(refuse(format!(
            "the scope `{scope}` holds fewer than two people"
        )));
    }
    let min = c
        .min_respondents
        .max(state.min_group.load(std::sync::atomic::Ordering::Relaxed) as i64);
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
        "<form class=\"card\" method=\"post\" action=\"/surveys\"><h2>New campaign</h2><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label for=\"name\">Name</label><input id=\"name\" name=\"name\" type=\"text\" required><fieldset><legend>Who is asked</legend><label for=\"department\">The organization or a department</label><select id=\"department\" name=\"department\">{depts}</select><label for=\"team\">Or a team and its neighbours: the leader's id or pseudonym</label><input id=\"team\" name=\"team\" type=\"text\" autocomplete=\"off\"><label for=\"people\">Or a list of people: ids or pseudonyms, one per line</label><textarea id=\"people\" name=\"people\" rows=\"3\"></textarea></fieldset><label for=\"questions\">Questions (words, comma-separated; your own words are asked as written)</label><input id=\"questions\" name=\"questions\" type=\"text\" value=\"advice, information, energy\"><ul class=\"note\">{qs}</ul><label for=\"opens\">Opens</label><input id=\"opens\" name=\"opens\" type=\"date\" value=\"{today}\" required><label for=\"closes\">Closes</label><input id=\"closes\" name=\"closes\" type=\"date\" required><label for=\"min\">Fewest respondents before any result is shown</label><input id=\"min\" name=\"min_respondents\" type=\"number\" min=\"2\" value=\"5\"><label><input type=\"checkbox\" name=\"match_interactions\" value=\"on\"> Also match answers against interaction data</label><button type=\"submit\">Create and make the invitations</button></form>",
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
        "<h1>{}</h1><p>Scope <b>{}</b> · questions <b>{}</b> · open {} to {} · state <b data-key=\"state\">{}</b></p><p><b data-key=\"submitted\">{}</b> of <b data-key=\"invited\">{}</b> answered ({rate:.0}%), {} saved without sending. Results need at least {} respondents: {}.</p><p class=\"note\">Who has answered appears only in the invitation list (for reminders) and the access log; what anyone answered is shown to nobody.</p><p><a href=\"/surveys/{}/invitations.csv\" download>Invitation links (CSV) for your own mailer</a></p>",
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
        if state.config.smtp.is_some() {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"/surveys/{id}/send\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">Send the invitations by e-mail</button></form><form method=\"post\" action=\"/surveys/{id}/send\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"reminder\" value=\"1\"><button type=\"submit\" class=\"plain\">Remind those who have not answered</button></form>",
                id = c.id,
                csrf = esc(&v.csrf)
            );
        } else {
            body.push_str("<p class=\"note\">To send invitations from here, start the server with <code>--smtp HOST:PORT --smtp-from ADDRESS</code>.</p>");
        }
    }
    if c.state == "open" || c.state == "closing" {
        let _ = write!(
            body,
            "<p>The campaign closes by itself after {}. </p><form method=\"post\" action=\"/surveys/{}/close\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Close now and analyze</button></form>",
            day(c.closes),
            c.id,
            esc(&v.csrf)
        );
    } else {
        let _ = write!(
            body,
            "<p><a href=\"/surveys/{}/results\">Results</a></p>",
            c.id
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

/// Closes every open campaign whose closing day has passed (the server's own act, recorded as
/// such).
pub fn close_due(state: &State) -> anyhow::Result<()> {
    let today = auth::now().div_euclid(86_400);
    for c in state.db.campaigns()? {
        if c.state == "open" && today > c.closes {
            close(state, &Viewer::system("closing day"), c.id)?;
        }
    }
    Ok(())
}

/// A campaign being closed: its answers, the day, and the windows to analyze.
pub struct Closing {
    db: std::sync::Arc<Db>,
    campaign: Campaign,
    invitees: Vec<(String, bool)>,
    answers: Vec<(String, String, String, f64)>,
    day: String,
    windows: Vec<String>,
}

/// Marks a campaign as closing (recorded) and collects what its close stores: the answers of
/// those who sent them (answers only saved count as no answer). None when nothing is stored:
/// nobody sent answers, or fewer than the campaign's minimum did (then the raw answers are
/// deleted at once). A close that failed half-way can be asked again.
pub fn begin_close(db: &std::sync::Arc<Db>, by: &str, id: i64) -> anyhow::Result<Option<Closing>> {
    let c = campaign_or_404(db, id)?;
    if c.state != "open" && c.state != "closing" {
        return Ok(None);
    }
    db.set_campaign_state(id, "closing")?;
    db.audit(&[(
        auth::now(),
        by.into(),
        "close survey".into(),
        id.to_string(),
    )])?;
    let invitees = db.invitees(id)?;
    let sent: std::collections::HashSet<&str> = invitees
        .iter()
        .filter(|i| i.1)
        .map(|i| i.0.as_str())
        .collect();
    let answers: Vec<(String, String, String, f64)> = db
        .campaign_responses(id)?
        .into_iter()
        .filter(|a| sent.contains(a.0.as_str()))
        .map(|(r, q, col, w)| (r, q, col, w as f64))
        .collect();
    // Below the campaign's minimum, nothing is stored and nothing is shown. A respondent is
    // anyone who sent the form (a blank one too), as the campaign's counts say everywhere.
    if answers.is_empty() || (sent.len() as i64) < c.min_respondents {
        db.delete_responses(id)?;
        db.set_campaign_state(
            id,
            if (sent.len() as i64) < c.min_respondents {
                "closed: too few respondents"
            } else {
                "closed: no answers"
            },
        )?;
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
        db: db.clone(),
        campaign: c,
        invitees,
        answers,
        day: crate::pages::today(),
        windows,
    }))
}

impl Closing {
    /// Stores the answers as one survey ingest run, analyzes the workspace, keeps the
    /// campaign's results (counts per group and question, and per person), then deletes the
    /// raw answers and marks the campaign closed.
    pub fn finish(
        self,
        session: &mut app::Session,
        progress: &dyn app::Progress,
    ) -> anyhow::Result<String> {
        let r = session.ingest_collected_answers(
            &self.answers,
            &self.day,
            &format!("campaign {}", self.campaign.id),
            progress,
        )?;
        let req = app::analyze::AnalyzeRequest {
            windows: self.windows,
            ..Default::default()
        };
        let a = session.analyze(&req, progress)?;
        let live = app::live::Live::load(session)?;
        let answers: Vec<(String, String, String)> = self
            .answers
            .into_iter()
            .map(|(r, q, c, _)| (r, q, c))
            .collect();
        let questions: Vec<String> = self
            .campaign
            .questions
            .split(',')
            .map(str::to_string)
            .collect();
        let group_of = |p: &str| live.department_of(p).map(str::to_string);
        // Matched against the first analyzed window that holds interactions.
        let window = live.windows().into_iter().next().unwrap_or_default();
        let tied = if self.campaign.match_interactions {
            Some(live.interacted(&window)?)
        } else {
            None
        };
        let (rows, people) = crate::results::summarize(&crate::results::Inputs {
            invitees: &self.invitees,
            answers: &answers,
            questions: &questions,
            group_of: &group_of,
            tied: tied.as_ref().map(|t| t as &dyn Fn(&str, &str) -> bool),
        });
        let id = self.campaign.id;
        self.db.set_campaign_results(id, &rows, &people)?;
        self.db.delete_responses(id)?;
        self.db.set_campaign_state(id, "closed")?;
        Ok(format!(
            "{} answers stored; {} people analyzed; results kept, raw answers deleted",
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
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Answer {
    let s = state.clone();
    let link = format!("/s/{}/mirror", esc(&token));
    let (c, me, mine, invited) = blocking(move || {
        let (cid, me, _) = s.db.invitee(&auth::token_hash(&token))?.ok_or_else(|| {
            anyhow::anyhow!("no such invitation: the link is wrong or the survey was removed")
        })?;
        let c = campaign_or_404(&s.db, cid)?;
        let mine = s.db.own_responses(cid, &me)?;
        let invited: Vec<String> = s.db.invitees(cid)?.into_iter().map(|i| i.0).collect();
        s.audit
            .write(&format!("respondent of survey {cid}"), "survey form", &me)?;
        Ok((c, me, mine, invited))
    })
    .await
    .map_err(Failure::page)?;
    let live = state.live();
    let today = auth::now() / 86_400;
    // The form's token: the one this browser already holds (a second tab keeps working), else
    // a new one.
    let form = crate::routes::cookie(&headers, FORM_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(auth::token);
    let mut body = format!("<h1>{}</h1>", esc(&c.name));
    if c.state != "open" || today > c.closes {
        body.push_str("<p>This survey has closed. Thank you.</p>");
        if c.state == "closed" {
            let _ = write!(
                body,
                "<p><a href=\"{link}\" data-key=\"mirror\">See your own mirror</a>: how your colleagues named you, and your relationships, shown to you only.</p>"
            );
        }
        return Ok(layout(&c.name, None, "", &body).into_response());
    }
    if today < c.opens {
        let _ = write!(body, "<p>This survey opens on {}.</p>", day(c.opens));
        return Ok(layout(&c.name, None, "", &body).into_response());
    }
    // Colleagues to choose from: the campaign's invitees, minus the respondent.
    let colleagues = choices(live.as_deref(), invited, &me);
    let label_of: std::collections::HashMap<&str, &str> = colleagues
        .iter()
        .map(|(l, p)| (p.as_str(), l.as_str()))
        .collect();
    let _ = write!(
        body,
        "<p>For each question, name the colleagues who come to mind (up to {MAX_NAMED}). It takes a few minutes; you can save and come back with the same link until {}.</p><p class=\"note\"><b>Who sees what:</b> nobody sees your answers — not your manager, not an analyst, not an admin. When the survey closes they count, with everyone's, in the organization's picture, shown only for groups of at least the minimum size and only if at least {} people answered; you see your own mirror.</p><datalist id=\"colleagues\">",
        day(c.closes),
        c.min_respondents
    );
    for (label, _) in &colleagues {
        let _ = write!(body, "<option value=\"{}\">", esc(label));
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
        for slot in 0..MAX_NAMED.min(chosen.len() + 5) {
            let (value, weight) = chosen.get(slot).map_or((String::new(), 1), |a| {
                (
                    label_of
                        .get(a.1.as_str())
                        .unwrap_or(&a.1.as_str())
                        .to_string(),
                    a.2,
                )
            });
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

/// The colleagues a respondent may name, as (what the form shows, pseudonym), sorted: their
/// names when the workspace holds identities (made unique with the pseudonym where two share
/// one), else pseudonyms.
fn choices(
    live: Option<&app::live::Live>,
    invited: Vec<String>,
    me: &str,
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = invited
        .into_iter()
        .filter(|p| p != me)
        .map(|p| {
            let label = live.map_or_else(|| p.clone(), |l| l.colleague_label(&p));
            (label, p)
        })
        .collect();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for (l, _) in &v {
        *seen.entry(l.clone()).or_default() += 1;
    }
    for (l, p) in &mut v {
        if seen[l.as_str()] > 1 {
            *l = format!("{l} ({p})");
        }
    }
    v.sort();
    v
}

/// Saves (or sends) the respondent's answers: every `a` (a colleague as the form offered them,
/// or their pseudonym; blank to skip) with its `q` and `w` in order.
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
        // A colleague is named by the label the form offered, or by pseudonym.
        let invited: Vec<String> = s.db.invitees(cid)?.into_iter().map(|i| i.0).collect();
        let offered = choices(s.live().as_deref(), invited.clone(), &me);
        let mut scope: std::collections::HashMap<String, String> = offered.into_iter().collect();
        scope.extend(
            invited
                .into_iter()
                .filter(|p| *p != me)
                .map(|p| (p.clone(), p)),
        );
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
            let Some(name) = scope.get(name) else {
                return Err(app::Refused(format!(
                    "`{name}` is not one of the colleagues this survey asks about"
                ))
                .into());
            };
            let weight: i64 = weight.parse().unwrap_or(1).clamp(1, 4);
            if !answers.iter().any(|x| x.0 == *question && x.1 == *name) {
                answers.push((question.clone(), name.clone(), weight));
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

/// A campaign's results for a viewer whose minimum group size is `min`, compared with the
/// latest earlier campaign on the same scope that has results.
pub fn results_view(db: &Db, id: i64, min: usize) -> anyhow::Result<crate::results::View> {
    let c = campaign_or_404(db, id)?;
    let rows = db.campaign_results(id)?;
    let before = previous(db, &c)?;
    let before_rows = match &before {
        Some(b) => db.campaign_results(b.id)?,
        None => Vec::new(),
    };
    Ok(crate::results::view(
        &c,
        &rows,
        before.as_ref().map(|b| (b, &before_rows[..])),
        min,
    ))
}

/// The latest closed campaign before `c` on the same scope.
fn previous(db: &Db, c: &Campaign) -> anyhow::Result<Option<Campaign>> {
    Ok(db
        .campaigns()?
        .into_iter()
        .find(|b| b.id < c.id && b.scope == c.scope && b.state == "closed"))
}

/// Checks the viewer may see a campaign's aggregates (the policy records the read).
fn may_see_results(state: &State, v: &Viewer, id: i64) -> anyhow::Result<usize> {
    let policy = v.policy(state);
    let mut log = state.audit.clone();
    policy.read_survey_results(&mut log, &id.to_string())?;
    Ok(policy.min_group)
}

fn figure(measure: &str, e: &crate::results::Estimate) -> String {
    match crate::results::kind(measure) {
        crate::results::Kind::Share => format!(
            "{:.0}% <small>({:.0}–{:.0}%)</small>",
            100.0 * e.value,
            100.0 * e.low,
            100.0 * e.high
        ),
        crate::results::Kind::Mean => {
            format!("{:.1} <small>({:.1}–{:.1})</small>", e.value, e.low, e.high)
        }
    }
}

fn moved(kind: crate::results::Kind, c: &crate::results::Change) -> String {
    let (scale, unit) = match kind {
        crate::results::Kind::Share => (100.0, " points"),
        crate::results::Kind::Mean => (1.0, ""),
    };
    format!(
        "<span class=\"change {}\">{:+.1}{unit} <small>({:+.1} to {:+.1}){}</small></span>",
        if c.clear() { "clear" } else { "noise" },
        scale * c.delta,
        scale * c.low,
        scale * c.high,
        if c.clear() { "" } else { ", within the noise" }
    )
}

/// The results as HTML (the body of the results page).
pub fn results_html(v: &crate::results::View, min: usize) -> String {
    let rate = 100.0 * v.answered as f64 / v.invited.max(1) as f64;
    let mut body = format!(
        "<h1>{} — results</h1><p>Scope <b>{}</b> · state <b data-key=\"state\">{}</b> · <b data-key=\"answered\">{}</b> of <b data-key=\"invited\">{}</b> answered ({rate:.0}%).</p>",
        esc(&v.name),
        esc(&v.scope),
        esc(&v.state),
        v.answered,
        v.invited
    );
    for n in &v.notes {
        let _ = write!(body, "<p class=\"note\" data-key=\"note\">{}</p>", esc(n));
    }
    if v.lines.is_empty() {
        return body;
    }
    let _ = write!(
        body,
        "<p class=\"note\">Figures are shares or means with their 95% interval. Only groups with at least {min} members and {min} respondents are shown{}.</p>",
        if v.hidden_groups > 0 {
            format!(
                "; <b data-key=\"hidden_groups\">{}</b> group(s) are not (too small, or they would let a smaller group be worked out)",
                v.hidden_groups
            )
        } else {
            String::new()
        }
    );
    if let Some((id, name)) = &v.since {
        let _ = write!(
            body,
            "<p>Changes are since <a href=\"/surveys/{id}/results\">{}</a>; a change whose interval holds zero is within the noise.</p>",
            esc(name)
        );
    }
    let questions: Vec<&str> = v.questions.iter().map(String::as_str).collect();
    // Everyone first, then the departments by name.
    let mut groups: Vec<&str> = Vec::new();
    for l in &v.lines {
        if !groups.contains(&l.group.as_str()) {
            groups.push(&l.group);
        }
    }
    groups.sort_by_key(|g| (*g != crate::results::EVERYONE, *g));
    let response = |g: &str| {
        v.lines
            .iter()
            .find(|l| l.group == g && l.measure == "response")
    };
    for q in questions {
        let measures: Vec<(&str, &str)> = crate::results::MEASURES
            .iter()
            .filter(|m| v.lines.iter().any(|l| l.question == q && l.measure == m.0))
            .map(|m| (m.0, m.1))
            .collect();
        let _ = write!(
            body,
            "<h2>{}</h2><div class=\"wrap\"><table class=\"list results\"><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Answered</th>",
            esc(&question_text(q))
        );
        for (_, what) in &measures {
            let _ = write!(body, "<th scope=\"col\">{}</th>", esc(what));
        }
        body.push_str("</tr></thead><tbody>");
        for g in &groups {
            let _ = write!(body, "<tr><th scope=\"row\">{}</th>", esc(g));
            match response(g) {
                Some(r) => {
                    let _ = write!(
                        body,
                        "<td data-key=\"{}|*|response\" data-value=\"{:.4}\">{}</td>",
                        esc(g),
                        r.estimate.value,
                        figure("response", &r.estimate)
                    );
                }
                None => body.push_str("<td></td>"),
            }
            for (m, _) in &measures {
                let line = v
                    .lines
                    .iter()
                    .find(|l| l.group == *g && l.question == q && l.measure == *m);
                match line {
                    Some(l) if !(*m == "inside" && *g == crate::results::EVERYONE) => {
                        let _ = write!(
                            body,
                            "<td data-key=\"{}|{}|{m}\" data-value=\"{:.4}\">{}{}</td>",
                            esc(g),
                            esc(q),
                            l.estimate.value,
                            figure(m, &l.estimate),
                            l.change
                                .as_ref()
                                .map(|c| format!("<br>{}", moved(crate::results::kind(m), c)))
                                .unwrap_or_default()
                        );
                    }
                    _ => body.push_str("<td>—</td>"),
                }
            }
            body.push_str("</tr>");
        }
        body.push_str("</tbody></table></div>");
    }
    body
}

pub async fn results_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<i64>,
) -> Answer {
    let (s, viewer) = (state.clone(), v.clone());
    let (view, min) = blocking(move || {
        let min = may_see_results(&s, &viewer, id)?;
        Ok((results_view(&s.db, id, min)?, min))
    })
    .await
    .map_err(Failure::page)?;
    let body = results_html(&view, min);
    Ok(layout(&view.name, Some(&v), "/surveys", &body).into_response())
}

pub async fn api_results(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<i64>,
) -> Answer {
    let s = state.clone();
    let view = blocking(move || {
        let min = may_see_results(&s, &v, id)?;
        results_view(&s.db, id, min)
    })
    .await?;
    Ok(axum::Json(view).into_response())
}

/// Campaigns with their counts (never answers).
pub async fn api_list(axum::extract::State(state): axum::extract::State<State>) -> Answer {
    let s = state.clone();
    let list = blocking(move || s.db.campaigns()).await?;
    Ok(axum::Json(serde_json::json!({ "campaigns": list })).into_response())
}

pub async fn api_campaign(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<i64>,
) -> Answer {
    let s = state.clone();
    let c = blocking(move || campaign_or_404(&s.db, id)).await?;
    Ok(axum::Json(c).into_response())
}

/// Sends each invitee (or, for reminders, each who has not answered) their link through the
/// server's SMTP relay; returns what was done.
pub fn send_invitations(
    db: &Db,
    session: &mut app::Session,
    id: i64,
    base_url: &str,
    relay: &str,
    from: &str,
    reminder: bool,
) -> anyhow::Result<String> {
    let camp = campaign_or_404(db, id)?;
    if camp.state != "open" {
        anyhow::bail!("campaign {id} is {}: its links no longer work", camp.state);
    }
    let links: Vec<(String, String, bool)> = links(db, id, base_url)?
        .into_iter()
        .filter(|l| !(reminder && l.2))
        .collect();
    let people: Vec<String> = links.iter().map(|l| l.0.clone()).collect();
    let addresses = session.addresses(&people)?;
    let closes = day(camp.closes);
    let mut messages = Vec::new();
    let mut unaddressed = 0;
    for ((_, link, _), to) in links.iter().zip(addresses) {
        let Some(to) = to else {
            unaddressed += 1;
            continue;
        };
        messages.push(crate::smtp::Message {
            to,
            subject: format!(
                "{}{}",
                if reminder { "Reminder: " } else { "" },
                camp.name
            ),
            body: format!(
                "You are invited to answer a short survey about whom you work with: {}.\n\nYour own link (do not forward it): {link}\n\nIt takes a few minutes and works until {closes}. Nobody sees your answers: they count, with everyone's, only for groups large enough to keep people unrecognizable.\n",
                camp.name
            ),
        });
    }
    let sent = crate::smtp::send(relay, from, &messages)?;
    db.audit(&[(
        auth::now(),
        session.viewer().to_string(),
        if reminder {
            "send survey reminders"
        } else {
            "send survey invitations"
        }
        .into(),
        format!("{id}: {sent}"),
    )])?;
    Ok(format!(
        "sent {sent} {} for campaign {id}{}",
        if reminder { "reminders" } else { "invitations" },
        if unaddressed > 0 {
            format!("; {unaddressed} people have no e-mail address in the people file")
        } else {
            String::new()
        }
    ))
}

/// Sends invitations (or reminders, with the field `reminder`) from the campaign's page, as a
/// background job, through the relay `orgmirror serve --smtp` names.
pub async fn send_form(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Answer {
    let reminder = crate::routes::form_field(&body, "reminder").is_some();
    let Some(relay) = state.config.smtp.clone() else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "no_smtp",
            "this server has no SMTP relay: start it with --smtp HOST:PORT --smtp-from ADDRESS, or export the links as CSV",
        )
        .page());
    };
    let from = state.config.smtp_from.clone().unwrap_or_default();
    let base = base_url(&state, &headers);
    let s = state.clone();
    blocking(move || {
        let db = s.db.clone();
        crate::jobs::run(
            &s,
            &v,
            "survey",
            &format!(
                "send {} for campaign {id}",
                if reminder { "reminders" } else { "invitations" }
            ),
            move |session, _| send_invitations(&db, session, id, &base, &relay, &from, reminder),
        )
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
}

/// Where links point: `--public-url`, else this request's host.
fn base_url(state: &State, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}", if state.tls { "https" } else { "http" })
}

/// A respondent's own mirror, once the campaign closed: by how many colleagues they were named
/// under each question (and the change since the previous campaign on the same scope), and
/// their personal mirror from the new analysis. The link is the credential; the read is
/// recorded.
pub async fn respondent_mirror(
    axum::extract::State(state): axum::extract::State<State>,
    Path(token): Path<String>,
) -> Answer {
    let s = state.clone();
    let page = blocking(move || {
        let (cid, me, _) = s.db.invitee(&auth::token_hash(&token))?.ok_or_else(|| {
            anyhow::anyhow!("no such invitation: the link is wrong or the survey was removed")
        })?;
        let c = campaign_or_404(&s.db, cid)?;
        let viewer = format!("respondent of survey {cid}");
        let policy = app::Policy {
            viewer: viewer.clone(),
            role: app::policy::Role::Member(me.clone()),
            min_group: s.min_group.load(std::sync::atomic::Ordering::Relaxed),
            keyed: s.keyed,
        };
        let mut log = s.audit.clone();
        if c.state != "closed" {
            return Ok((c.name, None, "<p>Your mirror is made when the survey closes; come back with the same link then.</p>".to_string()));
        }
        if auth::now().div_euclid(86_400) > c.closes + MIRROR_DAYS {
            return Ok((c.name, None, format!("<p>This link worked until {MIRROR_DAYS} days after the survey closed. Your organization can give you an account to see your mirror.</p>")));
        }
        policy.record(&mut log, "survey mirror", &me)?;
        let mine = s.db.person_results(cid, &me)?;
        let before = previous(&s.db, &c)?;
        let theirs = match &before {
            Some(b) => s.db.person_results(b.id, &me)?,
            None => Vec::new(),
        };
        let mut section = format!(
            "<section id=\"survey\" class=\"card\"><h2>In the survey “{}”</h2><p>How many of the colleagues who answered named you (only you see this):</p><ul>",
            esc(&c.name)
        );
        for r in &mine {
            let e = crate::results::share(r.named_by, r.of);
            let _ = write!(
                section,
                "<li data-key=\"named|{}\" data-value=\"{}/{}\">{}: named by <b>{}</b> of {} ({:.0}%, 95% interval {:.0}–{:.0}%)",
                esc(&r.question),
                r.named_by,
                r.of,
                esc(&question_text(&r.question)),
                r.named_by,
                r.of,
                100.0 * e.value,
                100.0 * e.low,
                100.0 * e.high
            );
            if let (Some(b), Some(old)) = (
                &before,
                theirs.iter().find(|x| x.question == r.question),
            ) {
                let was = crate::results::share(old.named_by, old.of);
                let ch = crate::results::change(crate::results::Kind::Share, &was, &e);
                let _ = write!(
                    section,
                    "; in “{}” {} of {}: {}",
                    esc(&b.name),
                    old.named_by,
                    old.of,
                    moved(crate::results::Kind::Share, &ch)
                );
            }
            section.push_str("</li>");
        }
        section.push_str("</ul><p class=\"note\">A share from few respondents is uncertain: the interval says how much. What anyone answered is shown to nobody.</p></section>");
        let doc = match s.live() {
            Some(live) if live.person(&me).is_some() => {
                let window = live.windows().into_iter().next().unwrap_or_default();
                Some(live.person_page(&policy, &mut log, &me, &window)?.to_string())
            }
            _ => None,
        };
        Ok((c.name, doc, section))
    })
    .await
    .map_err(Failure::page)?;
    Ok(match page {
        (_, Some(doc), section) => crate::pages::embed(&doc, None, "", &section).into_response(),
        (name, None, section) => layout(
            &name,
            None,
            "",
            &format!("<h1>{}</h1>{section}", esc(&name)),
        )
        .into_response(),
    })
}
