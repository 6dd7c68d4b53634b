//! The pages: server-rendered HTML with the report's charts, no remote resources and no inline
//! script or style (the Content-Security-Policy allows only this server's own files).

use crate::api::{self, Answer, WindowQuery, blocking, own_person, read};
use crate::jobs::{self, Upload};
use crate::routes::{FORM_COOKIE, SESSION_COOKIE, set_cookie};
use crate::{Failure, State, Viewer, auth};
use app::live::{GroupView, Live};
use axum::extract::{Extension, Form, Multipart, Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write;

const APP_CSS: &str = include_str!("../assets/app.css");
const APP_JS: &str = include_str!("../assets/app.js");

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    app::live::esc(s)
}

pub async fn asset(Path(name): Path<String>) -> Response {
    let (kind, body) = match name.as_str() {
        "app.css" => ("text/css; charset=utf-8", APP_CSS),
        "app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "report.css" => ("text/css; charset=utf-8", app::live::REPORT_CSS),
        "network.js" => ("text/javascript; charset=utf-8", app::live::NETWORK_JS),
        _ => {
            return Failure::new(StatusCode::NOT_FOUND, "not_found", "no such file")
                .page()
                .into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The navigation for a viewer (links depend on the role; the policy still decides each read).
fn nav(v: Option<&Viewer>, current: &str) -> String {
    let mut s = String::from(
        "<a class=\"skip\" href=\"#content\">Skip to content</a><nav class=\"app\" aria-label=\"orgmirror\"><b>orgmirror</b>",
    );
    let mut link = |href: &str, text: &str| {
        let cur = if href == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(s, "<a href=\"{href}\"{cur}>{text}</a>");
    };
    if let Some(v) = v {
        if v.account.person.is_some() {
            link("/me", "My mirror");
        }
        if v.account.role == "leader" {
            link("/teams", "My teams");
        }
        if v.sees_org() {
            link("/org", "Org mirror");
            link("/org/groups", "Departments &amp; communities");
            link("/org/findings", "Findings");
            link("/surveys", "Surveys");
        }
        if v.is_admin() {
            link("/data", "Data");
            link("/accounts", "Accounts");
            link("/audit", "Audit log");
            link("/settings", "Settings");
        }
        let _ = write!(
            s,
            "<span class=\"who\">{} ({})</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button class=\"plain\" type=\"submit\">Sign out</button></form>",
            esc(&v.account.email),
            esc(&v.account.role),
            esc(&v.csrf)
        );
    } else {
        link("/login", "Sign in");
    }
    s.push_str("</nav>");
    s
}

/// A page of the server's own.
pub fn layout(title: &str, v: Option<&Viewer>, current: &str, body: &str) -> Html<String> {
    let csrf = v.map_or(String::new(), |v| {
        format!("<meta name=\"csrf\" content=\"{}\">", esc(&v.csrf))
    });
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{csrf}<title>{} · orgmirror</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body>{}<main class=\"app\" id=\"content\">{body}</main><script src=\"/assets/app.js\"></script></body></html>",
        esc(title),
        nav(v, current)
    ))
}

/// A report page (the org or a personal mirror) inside the server's navigation, its style and
/// script linked rather than inline.
pub(crate) fn embed(doc: &str, v: Option<&Viewer>, current: &str, extra: &str) -> Html<String> {
    let doc = app::live::link_assets(doc, "/assets/report.css", "/assets/network.js");
    let doc = doc.replacen(
        "<link rel=\"stylesheet\" href=\"/assets/report.css\">",
        "<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/assets/report.css\"><link rel=\"stylesheet\" href=\"/assets/app.css\">",
        1,
    );
    let doc = doc.replacen(
        "<body>\n",
        &format!("<body>\n{}\n{extra}", nav(v, current)),
        1,
    );
    let doc = doc.replacen("<main>", "<main id=\"content\">", 1);
    Html(doc)
}

pub fn error_page(status: StatusCode, code: &str, message: &str) -> Html<String> {
    layout(
        status.canonical_reason().unwrap_or("Error"),
        None,
        "",
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\" data-code=\"{}\">{}</p><p><a href=\"/\">Back</a></p>",
            esc(status.canonical_reason().unwrap_or("Error")),
            esc(code),
            esc(message)
        ),
    )
}

fn page_err(f: Failure) -> Failure {
    f.page()
}

fn windows_bar(live: &Live, path: &str, current: &str) -> String {
    let mut s = String::from("<p class=\"windows app-bar\">Window: ");
    for w in live.windows() {
        if w == current {
            let _ = write!(s, "<b aria-current=\"true\">{}</b> ", esc(&w));
        } else {
            let _ = write!(s, "<a href=\"{path}?window={}\">{}</a> ", esc(&w), esc(&w));
        }
    }
    s.push_str("</p>");
    s
}

pub async fn home(
    axum::extract::State(state): axum::extract::State<State>,
    v: Option<Extension<Viewer>>,
    headers: HeaderMap,
) -> Response {
    // The home page is public; it looks up the viewer itself to choose where to go.
    let _ = (&state, &headers);
    match v {
        Some(Extension(v)) if v.sees_org() => Redirect::to("/org").into_response(),
        Some(_) => Redirect::to("/me").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

fn login_html(state: &State, message: Option<&str>, status: StatusCode) -> Response {
    let token = auth::token();
    let msg = message.map_or(String::new(), |m| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m))
    });
    let body = format!(
        "<h1>Sign in</h1>{msg}<form class=\"card\" method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\"><label for=\"email\">E-mail</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required autofocus><label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">Sign in</button></form><p class=\"note\">You see your own mirror; leaders also see their teams' aggregates; analysts see the organization with pseudonyms. Every look at a person is recorded.</p>"
    );
    let mut res = (status, layout("Sign in", None, "/login", &body)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &token, Some(3600), state.tls)
            .parse()
            .expect("cookie"),
    );
    res
}

pub async fn login_page(axum::extract::State(state): axum::extract::State<State>) -> Response {
    login_html(&state, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_form(
    axum::extract::State(state): axum::extract::State<State>,
    crate::routes::Peer(peer): crate::routes::Peer,
    Form(f): Form<LoginForm>,
) -> Response {
    let c = api::Credentials {
        email: f.email,
        password: f.password,
    };
    match api::start_session(&state, peer, c).await {
        Ok((cookie, _, _)) => {
            let mut res = Redirect::to("/").into_response();
            let h = res.headers_mut();
            h.append(header::SET_COOKIE, cookie.parse().expect("cookie"));
            h.append(
                header::SET_COOKIE,
                api::clear_form_cookie(state.tls).parse().expect("cookie"),
            );
            res
        }
        Err(f) => login_html(&state, Some(&f.message), f.status),
    }
}

pub async fn logout_form(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    api::end_session(&state, &v).await.map_err(page_err)?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.tls)
            .parse()
            .expect("cookie"),
    );
    Ok(res)
}

pub async fn invite_page(
    axum::extract::State(state): axum::extract::State<State>,
    Path(token): Path<String>,
) -> Answer {
    let s = state.clone();
    let hash = auth::token_hash(&token);
    let account = blocking(move || {
        Ok(match s.db.invite(&hash, auth::now())? {
            Some(id) => s.db.account_by_id(id)?,
            None => None,
        })
    })
    .await
    .map_err(page_err)?;
    let Some(account) = account else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this invitation has expired or was used; ask an admin for a new one",
        )
        .page());
    };
    let form = auth::token();
    let body = format!(
        "<h1>Choose a password</h1><p>For <b>{}</b>. At least {} characters.</p><form class=\"card\" method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{form}\"><label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"{}\"><label for=\"again\">Again</label><input id=\"again\" name=\"again\" type=\"password\" autocomplete=\"new-password\" required><button type=\"submit\">Set password</button></form>",
        esc(&account.email),
        auth::MIN_PASSWORD,
        auth::MIN_PASSWORD
    );
    let mut res = layout("Choose a password", None, "", &body).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &form, Some(3600), state.tls)
            .parse()
            .expect("cookie"),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct InviteForm {
    password: String,
    again: String,
}

pub async fn invite_form(
    axum::extract::State(state): axum::extract::State<State>,
    Path(token): Path<String>,
    Form(f): Form<InviteForm>,
) -> Answer {
    if f.password != f.again {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the two passwords differ",
        )
        .page());
    }
    let s = state.clone();
    let hash = auth::token_hash(&token);
    blocking(move || {
        let id =
            s.db.invite(&hash, auth::now())?
                .ok_or_else(|| anyhow::anyhow!("no invitation: it has expired or was used"))?;
        let pw = auth::hash_password(&f.password).map_err(|e| app::Refused(e.to_string()))?;
        s.db.set_password(id, &pw)?;
        s.db.use_invite(&hash)?;
        let a = s.db.account_by_id(id)?.map(|a| a.email).unwrap_or_default();
        s.audit.write(&a, "set password", "invitation")
    })
    .await
    .map_err(page_err)?;
    Ok(Redirect::to("/login").into_response())
}

pub async fn my_mirror(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let me = own_person(&v).map_err(page_err)?;
    let keeps_journal = matches!(v.account.role.as_str(), "member" | "leader");
    let (db, account, viewer) = (state.db.clone(), v.account.id, v.clone());
    report_page(
        &state,
        &v,
        "/me",
        q.window(),
        move |live, policy, log, w| {
            let page = live.person_page(policy, log, &me, w)?;
            if !keeps_journal {
                return Ok(page.to_string());
            }
            // The journal's entries are read only once the policy allowed it.
            let mut list = Vec::new();
            let section = live.journal_section(policy, log, w, || {
                list = db.journal(account)?;
                Ok(list
                    .iter()
                    .map(|e| (e.day, e.other.clone(), e.what.clone()))
                    .collect())
            })?;
            let today = &today();
            let form =
                crate::journal::form_html(&viewer, &live.named_in_mirror(&me, w), &list, today);
            Ok(page.replacen(
                "<section id=\"basis\"",
                &format!("{section}{form}<section id=\"basis\""),
                1,
            ))
        },
    )
    .await
}

/// A report page (a personal or the org mirror) of one window, with the windows to choose from.
async fn report_page(
    state: &State,
    v: &Viewer,
    path: &'static str,
    window: String,
    make: impl FnOnce(&Live, &app::Policy, &mut auth::AuditWriter, &str) -> anyhow::Result<String>
    + Send
    + 'static,
) -> Answer {
    let (doc, bar) = read(state, v, move |live, policy, log| {
        Ok((
            make(live, policy, log, &window)?,
            windows_bar(live, path, &window),
        ))
    })
    .await
    .map_err(page_err)?;
    Ok(embed(&doc, Some(v), path, &bar).into_response())
}

pub async fn my_teams(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let live = state.live();
    let min = v.policy(&state).min_group;
    let mut body = String::from("<h1>My teams</h1>");
    let teams = match (&v.account.person, &live) {
        (Some(p), Some(l)) if v.account.role == "leader" => l.teams_led_by(p),
        _ => Vec::new(),
    };
    if teams.is_empty() {
        body.push_str("<p>You lead no team in the analysis.</p>");
    } else {
        let me = v.account.person.clone().unwrap_or_default();
        body.push_str("<table class=\"list\"><thead><tr><th scope=\"col\">Window</th><th scope=\"col\">People</th><th scope=\"col\"></th></tr></thead><tbody>");
        for (w, n) in teams {
            let link = if n >= min {
                format!(
                    "<a href=\"/teams/{}?window={}\">Open</a>",
                    esc(&me),
                    esc(&w)
                )
            } else {
                format!("fewer than {min} people: not shown")
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td class=\"num\">{n}</td><td>{link}</td></tr>",
                esc(&w)
            );
        }
        body.push_str("</tbody></table>");
    }
    if v.account.role == "leader" {
        let s = state.clone();
        let closed: Vec<crate::db::Campaign> = crate::api::blocking(move || s.db.campaigns())
            .await
            .map_err(page_err)?
            .into_iter()
            .filter(|c| c.state == "closed")
            .collect();
        if !closed.is_empty() {
            body.push_str("<h2>Survey results</h2><p class=\"note\">Aggregates only, for groups of at least the minimum size.</p><ul>");
            for c in &closed {
                let _ = write!(
                    body,
                    "<li><a href=\"/surveys/{}/results\">{}</a> (closing day {})</li>",
                    c.id,
                    esc(&c.name),
                    day(c.closes)
                );
            }
            body.push_str("</ul>");
        }
    }
    Ok(layout("My teams", Some(&v), "/teams", &body).into_response())
}

pub async fn team_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(leader): Path<String>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let t = read(&state, &v, move |live, policy, log| {
        live.team_view(policy, log, &leader, &window)
    })
    .await
    .map_err(page_err)?;
    let opt = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:.2}"));
    // Position on the power-over … power-with scale, drawn.
    let x = 20.0 + (t.position.clamp(-1.0, 1.0) + 1.0) / 2.0 * 360.0;
    let svg = format!(
        "<svg role=\"img\" aria-label=\"position {:.2} between power over (−1) and power with (+1)\" width=\"400\" height=\"60\" viewBox=\"0 0 400 60\"><line x1=\"20\" y1=\"30\" x2=\"380\" y2=\"30\" stroke=\"#9aa3b5\" stroke-width=\"4\"/><circle cx=\"{x:.1}\" cy=\"30\" r=\"9\" fill=\"#2f5fb3\"/><text x=\"20\" y=\"55\" font-size=\"12\">power over</text><text x=\"380\" y=\"55\" font-size=\"12\" text-anchor=\"end\">power with</text></svg>",
        t.position
    );
    let body = format!(
        "<h1>Team of {}</h1><p>Window <b>{}</b> · {} people · style <b data-key=\"style\">{}</b></p>{svg}<table class=\"list\"><tbody><tr><th scope=\"row\">Directive share</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">Autonomy</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">Leader's airtime</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">Reciprocity</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">Leaderfulness</th><td class=\"num\">{}</td></tr><tr><th scope=\"row\">Events this rests on</th><td class=\"num\">{:.0}</td></tr></tbody></table><p class=\"note\">Aggregates of the whole team only; no member is shown one by one. Teams under the minimum group size are not shown at all.</p>",
        esc(&t.leader),
        esc(&t.window),
        t.team_size,
        esc(&t.style),
        opt(t.directive_ratio),
        opt(t.autonomy),
        opt(t.airtime),
        opt(t.reciprocity),
        opt(t.leaderfulness),
        t.evidence_events
    );
    Ok(layout("Team", Some(&v), "/teams", &body).into_response())
}

pub async fn org_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    report_page(&state, &v, "/org", q.window(), |live, policy, log, w| {
        live.org_page(policy, log, w)
    })
    .await
}

pub async fn org_groups(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let w = window.clone();
    let (groups, bar, min) = read(&state, &v, move |live, policy, log| {
        Ok((
            live.groups(policy, log, &w)?,
            windows_bar(live, "/org/groups", &w),
            policy.min_group,
        ))
    })
    .await
    .map_err(page_err)?;
    let mut body = format!(
        "<h1>Departments and communities</h1>{bar}<p class=\"note\">Open a group to see its measures. Groups of fewer than {min} people are listed without figures.</p>"
    );
    for kind in ["department", "community"] {
        let list: Vec<&GroupView> = groups.iter().filter(|g| g.kind == kind).collect();
        let plural = if kind == "community" {
            "Communities"
        } else {
            "Departments"
        };
        let _ = write!(body, "<h2>{plural} ({})</h2>", list.len());
        for g in list {
            let _ = write!(
                body,
                "<details data-group=\"{}\"><summary>{} · {} people{}</summary>",
                esc(&g.group),
                esc(&g.group),
                g.members,
                if g.suppressed {
                    " · figures withheld"
                } else {
                    ""
                }
            );
            if !g.suppressed {
                body.push_str("<table class=\"list\"><tbody>");
                for (m, x) in &g.measures {
                    let _ = write!(
                        body,
                        "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>",
                        esc(&m.trim_end_matches("_s").replace('_', " ")),
                        measure(m, *x)
                    );
                }
                body.push_str("</tbody></table>");
            }
            body.push_str("</details>");
        }
    }
    Ok(layout(
        "Departments and communities",
        Some(&v),
        "/org/groups",
        &body,
    )
    .into_response())
}

/// A group measure as people read it: seconds as a duration, shares as percentages, counts whole.
fn measure(name: &str, x: f64) -> String {
    if name.ends_with("_s") {
        app::live::duration(x)
    } else if name.ends_with("_share")
        || name.ends_with("_pct")
        || (name.ends_with("_ratio") && x <= 1.0)
    {
        format!("{:.0}%", 100.0 * x)
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

pub async fn org_findings(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let w = window.clone();
    let (f, bar) = read(&state, &v, move |live, policy, log| {
        Ok((
            live.findings(policy, log, &w, 300)?,
            windows_bar(live, "/org/findings", &w),
        ))
    })
    .await
    .map_err(page_err)?;
    let counts: Vec<String> = f
        .counts
        .iter()
        .map(|(k, n)| format!("{} <b>{n}</b>", esc(&k.replace('_', " "))))
        .collect();
    let mut body = format!("<h1>Findings</h1>{bar}<p>{}</p>", counts.join(" · "));
    body.push_str("<div class=\"wrap\"><table class=\"list\"><thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Who</th><th scope=\"col\">With</th><th scope=\"col\">Group</th><th scope=\"col\">Confidence</th><th scope=\"col\">Evidence</th></tr></thead><tbody>");
    for x in &f.shown {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.2}</td><td>{}</td></tr>",
            esc(&x.kind.replace('_', " ")),
            esc(x.person.as_deref().unwrap_or("")),
            esc(x.other.as_deref().unwrap_or("")),
            esc(x.group.as_deref().unwrap_or("")),
            x.confidence,
            esc(&x.evidence)
        );
    }
    body.push_str("</tbody></table></div><h2>Exports</h2><p class=\"note\">CSV, people by pseudonym (by id only for viewers an admin allowed identities), groups under the minimum size suppressed; every export is recorded in the access log.</p><ul>");
    for t in app::policy::TABLES {
        let _ = write!(
            body,
            "<li><a href=\"/api/v1/org/export/{}?window={}\" download>{}</a></li>",
            t.name,
            esc(&window),
            t.name
        );
    }
    body.push_str("</ul>");
    Ok(layout("Findings", Some(&v), "/org/findings", &body).into_response())
}

pub async fn data_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let s = state.clone();
    let (jobs, windows) = blocking(move || {
        Ok((
            s.db.jobs(50)?,
            s.db.setting("windows")?
                .unwrap_or_else(|| "all, month".into()),
        ))
    })
    .await
    .map_err(page_err)?;
    let running = jobs
        .iter()
        .any(|j| j.state == "running" || j.state == "queued");
    let mut options = String::new();
    for (_, name, label) in Upload::ALL {
        let _ = write!(options, "<option value=\"{name}\">{}</option>", esc(label));
    }
    let mut body = format!(
        "<h1>Data</h1><form class=\"card\" id=\"upload\" method=\"post\" action=\"/data/upload\" enctype=\"multipart/form-data\"><h2>Upload</h2><label for=\"kind\">What the file holds</label><select id=\"kind\" name=\"kind\">{options}</select><label for=\"file\">File</label><input id=\"file\" name=\"file\" type=\"file\" required><button type=\"submit\">Upload and ingest</button><p><progress id=\"upload-bar\" value=\"0\" max=\"1\" aria-label=\"upload progress\"></progress> <span id=\"upload-status\" role=\"status\" aria-live=\"polite\"></span></p></form><form class=\"card\" method=\"post\" action=\"/data/analyze\"><h2>Analyze</h2><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label for=\"windows\">Windows</label><input id=\"windows\" name=\"windows\" type=\"text\" value=\"{}\"><button type=\"submit\">Analyze in the background</button></form><h2>Jobs</h2><div class=\"wrap\"><table class=\"list\" id=\"jobs\" data-running=\"{running}\"><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Job</th><th scope=\"col\">What</th><th scope=\"col\">State</th><th scope=\"col\">Progress or result</th><th scope=\"col\">By</th></tr></thead><tbody>",
        esc(&v.csrf),
        esc(&windows)
    );
    for j in &jobs {
        let progress = if j.state == "running" || j.state == "queued" {
            format!(
                "<progress value=\"{}\" max=\"{}\" aria-label=\"progress of job {}\"></progress> {}",
                j.done,
                j.total.max(1),
                j.id,
                esc(&j.stage)
            )
        } else {
            esc(&j.message)
        };
        let _ = write!(
            body,
            "<tr data-job=\"{}\" data-state=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{progress}</td><td>{}</td></tr>",
            j.id,
            esc(&j.state),
            j.id,
            esc(&j.kind),
            esc(&j.what),
            esc(&j.state),
            esc(&j.by)
        );
    }
    body.push_str("</tbody></table></div>");
    Ok(layout("Data", Some(&v), "/data", &body).into_response())
}

/// Receives an upload (multipart: `kind`, then `file`) into the workspace and ingests it in the
/// background; answers the job's id.
pub async fn upload(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    mut form: Multipart,
) -> Answer {
    let bad = |m: String| Failure::new(StatusCode::BAD_REQUEST, "bad_request", m);
    let mut kind = None;
    let dir = api::tempdir_in(&state.config.workspace).map_err(Failure::from_app)?;
    let mut saved = None;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("the upload is not a form: {e}")))?
    {
        match field.name() {
            Some("kind") => {
                let t = field.text().await.map_err(|e| bad(e.to_string()))?;
                kind = Some(Upload::parse(&t).ok_or_else(|| bad(format!("no upload kind `{t}`")))?);
            }
            Some("file") => {
                let name: String = field
                    .file_name()
                    .unwrap_or("upload")
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                    .collect();
                let name = if name.trim_matches('.').is_empty() {
                    "upload".into()
                } else {
                    name
                };
                let path = dir.join(&name);
                let mut out = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| Failure::from_app(e.into()))?;
                use tokio::io::AsyncWriteExt;
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| bad(format!("the upload stopped: {e}")))?
                {
                    out.write_all(&chunk)
                        .await
                        .map_err(|e| Failure::from_app(e.into()))?;
                }
                out.flush().await.map_err(|e| Failure::from_app(e.into()))?;
                saved = Some((path, name));
            }
            _ => {}
        }
    }
    let (Some(kind), Some((path, name))) = (kind, saved) else {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(bad("an upload needs a kind and a file".into()));
    };
    let s = state.clone();
    let id = blocking(move || jobs::ingest(&s, &v, kind, path, &name)).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"job": id})),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct AnalyzeForm {
    windows: String,
}

pub async fn analyze_form(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Form(f): Form<AnalyzeForm>,
) -> Answer {
    let windows: Vec<String> = f
        .windows
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    if windows.is_empty() {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "name at least one window",
        )
        .page());
    }
    let s = state.clone();
    blocking(move || {
        s.db.set_setting("windows", &windows.join(", "))?;
        jobs::analyze(&s, &v, windows)
    })
    .await
    .map_err(page_err)?;
    Ok(Redirect::to("/data").into_response())
}

pub async fn accounts_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let s = state.clone();
    let accounts = blocking(move || s.db.accounts()).await.map_err(page_err)?;
    Ok(layout(
        "Accounts",
        Some(&v),
        "/accounts",
        &accounts_html(&v, &accounts, None),
    )
    .into_response())
}

fn accounts_html(v: &Viewer, accounts: &[crate::db::Account], notice: Option<&str>) -> String {
    let csrf = esc(&v.csrf);
    let mut body = String::from("<h1>Accounts and access</h1>");
    if let Some(n) = notice {
        body.push_str(n);
    }
    let _ = write!(
        body,
        "<form class=\"card\" method=\"post\" action=\"/accounts\"><h2>Add an account</h2><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"email\">E-mail</label><input id=\"email\" name=\"email\" type=\"email\" required><label for=\"role\">Role</label><select id=\"role\" name=\"role\"><option value=\"member\">member: their own mirror</option><option value=\"leader\">leader: their mirror and their teams' aggregates</option><option value=\"analyst\">analyst: the organization, with pseudonyms</option><option value=\"admin\">admin: data, accounts, settings</option></select><label for=\"person\">Person (id, e-mail or pseudonym; members and leaders)</label><input id=\"person\" name=\"person\" type=\"text\"><button type=\"submit\">Add and make an invitation</button></form>"
    );
    body.push_str("<div class=\"wrap\"><table class=\"list\"><thead><tr><th scope=\"col\">E-mail</th><th scope=\"col\">Role</th><th scope=\"col\">Person</th><th scope=\"col\">State</th><th scope=\"col\">Change</th></tr></thead><tbody>");
    for a in accounts {
        let state = a.state();
        let role = if a.role == "analyst" && a.identified {
            "analyst (sees identities)".to_string()
        } else {
            a.role.clone()
        };
        let mut actions = String::new();
        let mut button = |action: &str, label: &str| {
            let _ = write!(
                actions,
                "<form method=\"post\" action=\"/accounts/{}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"action\" value=\"{action}\"><button class=\"plain\" type=\"submit\" aria-label=\"{label} {}\">{label}</button></form>",
                a.id,
                esc(&a.email)
            );
        };
        if a.disabled {
            button("enable", "Enable");
        } else {
            button("disable", "Disable");
        }
        button("invite", "New invitation");
        if a.role == "analyst" {
            if a.identified {
                button("unidentify", "Pseudonyms only");
            } else {
                button("identify", "Allow identities");
            }
        }
        button("remove", "Remove");
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{actions}</td></tr>",
            esc(&a.email),
            esc(&role),
            esc(a.person.as_deref().unwrap_or("")),
        );
    }
    body.push_str("</tbody></table></div>");
    body
}

#[derive(Deserialize)]
pub struct AccountForm {
    email: String,
    role: String,
    #[serde(default)]
    person: String,
}

fn invite_notice(headers: &HeaderMap, email: &str, token: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!(
        "<div class=\"card\" role=\"status\"><p>Give this link to <b>{}</b>; it works once, for a week:</p><code class=\"link\" data-key=\"invite\">http://{}/invite/{}</code></div>",
        esc(email),
        esc(host),
        esc(token)
    )
}

pub async fn account_add(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    headers: HeaderMap,
    Form(f): Form<AccountForm>,
) -> Answer {
    let s = state.clone();
    let by = v.account.email.clone();
    let (account, token, all) = blocking(move || {
        let (a, t) = crate::users::add(&s.db, &s.config, &by, &f.email, &f.role, Some(&f.person))?;
        Ok((a, t, s.db.accounts()?))
    })
    .await
    .map_err(page_err)?;
    let notice = invite_notice(&headers, &account.email, &token);
    Ok(layout(
        "Accounts",
        Some(&v),
        "/accounts",
        &accounts_html(&v, &all, Some(&notice)),
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct ChangeForm {
    action: String,
}

pub async fn account_change(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ChangeForm>,
) -> Answer {
    let s = state.clone();
    let by = v.account.email.clone();
    let self_id = v.account.id;
    let (notice, all) = blocking(move || {
        let a =
            s.db.account_by_id(id)?
                .ok_or_else(|| anyhow::anyhow!("no account {id}"))?;
        if a.id == self_id && matches!(f.action.as_str(), "disable" | "remove") {
            return Err(
                app::Refused("an admin cannot disable or remove their own account".into()).into(),
            );
        }
        let mut notice = None;
        if f.action == "invite" {
            notice = Some(crate::users::invite(&s.db, id)?);
            s.audit.write(&by, "account invite", &a.email)?;
        } else {
            crate::users::change(&s.db, &by, &a.email, &f.action)
                .map_err(|e| app::Refused(e.to_string()))?;
        }
        Ok((notice.map(|t| (a.email, t)), s.db.accounts()?))
    })
    .await
    .map_err(page_err)?;
    let notice = notice.map(|(e, t)| invite_notice(&headers, &e, &t));
    Ok(layout(
        "Accounts",
        Some(&v),
        "/accounts",
        &accounts_html(&v, &all, notice.as_deref()),
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
    viewer: Option<String>,
}

pub async fn audit_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<AuditQuery>,
) -> Answer {
    let s = state.clone();
    let me = v.account.email.clone();
    let who = q.viewer.clone();
    let lines = blocking(move || {
        s.audit.write(&me, "view audit", "")?;
        s.db.audit_lines(200, q.before, who.as_deref().filter(|w| !w.is_empty()))
    })
    .await
    .map_err(page_err)?;
    let mut body = format!(
        "<h1>Audit log</h1><form method=\"get\" action=\"/audit\"><label for=\"viewer\">Only this viewer</label><input id=\"viewer\" name=\"viewer\" type=\"text\" value=\"{}\"><button type=\"submit\">Filter</button></form><p><a href=\"/audit.csv\">Download the whole log (CSV)</a></p><div class=\"wrap\"><table class=\"list\" id=\"audit\"><thead><tr><th scope=\"col\">#</th><th scope=\"col\">When (UTC)</th><th scope=\"col\">Who</th><th scope=\"col\">What</th><th scope=\"col\">About</th></tr></thead><tbody>",
        esc(q.viewer.as_deref().unwrap_or(""))
    );
    for l in &lines {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            l.id,
            utc(l.at),
            esc(&l.viewer),
            esc(&l.action),
            esc(&l.subject)
        );
    }
    body.push_str("</tbody></table></div>");
    if let Some(last) = lines.last()
        && lines.len() == 200
    {
        let _ = write!(
            body,
            "<p><a href=\"/audit?before={}\">Older</a></p>",
            last.id
        );
    }
    Ok(layout("Audit log", Some(&v), "/audit", &body).into_response())
}

/// Seconds since 1970 as `YYYY-MM-DD hh:mm:ss` (UTC).
pub fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// Today (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    day(auth::now().div_euclid(86_400))
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
pub fn day(d: i64) -> String {
    chrono::DateTime::from_timestamp(d * 86_400, 0)
        .map_or_else(|| d.to_string(), |x| x.format("%Y-%m-%d").to_string())
}

pub async fn audit_csv(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let s = state.clone();
    let csv = blocking(move || {
        s.audit.write(&v.account.email, "export audit", "")?;
        let mut out = String::from("id,at_utc,viewer,action,subject\n");
        let mut before = None;
        loop {
            let lines = s.db.audit_lines(10_000, before, None)?;
            for l in &lines {
                let q = |x: &str| format!("\"{}\"", x.replace('"', "\"\""));
                let _ = writeln!(
                    out,
                    "{},{},{},{},{}",
                    l.id,
                    utc(l.at),
                    q(&l.viewer),
                    q(&l.action),
                    q(&l.subject)
                );
            }
            match lines.last() {
                Some(l) if lines.len() == 10_000 => before = Some(l.id),
                _ => break,
            }
        }
        Ok(out)
    })
    .await
    .map_err(page_err)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

pub async fn settings_page(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let s = state.clone();
    let windows = blocking(move || {
        Ok(s.db
            .setting("windows")?
            .unwrap_or_else(|| "all, month".into()))
    })
    .await
    .map_err(page_err)?;
    let min = v.policy(&state).min_group;
    let body = format!(
        "<h1>Settings</h1><form class=\"card\" method=\"post\" action=\"/settings\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><label for=\"min_group\">Minimum group size (now {min}; it can be raised, never lowered)</label><input id=\"min_group\" name=\"min_group\" type=\"number\" min=\"{min}\" value=\"{min}\"><label for=\"windows\">Windows an analysis uses</label><input id=\"windows\" name=\"windows\" type=\"text\" value=\"{}\"><button type=\"submit\">Save</button></form><p class=\"note\">Accounts and the access log are kept in {}.</p>",
        esc(&v.csrf),
        esc(&windows),
        esc(&state.db.label)
    );
    Ok(layout("Settings", Some(&v), "/settings", &body).into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    min_group: usize,
    windows: String,
}

pub async fn settings_form(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Form(f): Form<SettingsForm>,
) -> Answer {
    let s = state.clone();
    blocking(move || {
        let mut session = crate::open_session(&s.config, &v.account.email, v.role())?;
        if f.min_group != session.policy().min_group {
            session.raise_min_group(f.min_group)?;
            s.audit.write(
                &v.account.email,
                "raise minimum group size",
                &f.min_group.to_string(),
            )?;
            s.min_group
                .store(f.min_group, std::sync::atomic::Ordering::Relaxed);
        }
        let w = f.windows.trim();
        if !w.is_empty() {
            s.db.set_setting("windows", w)?;
        }
        Ok(())
    })
    .await
    .map_err(page_err)?;
    Ok(Redirect::to("/settings").into_response())
}
