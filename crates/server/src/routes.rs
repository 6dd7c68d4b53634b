//! Every route, once: its method, path, gate and handler. The router is built from [`ROUTES`],
//! and the gate of each route runs before its handler, so a route cannot exist without a rule.
//! Which person's data a viewer may see is decided inside the handlers by the application core's
//! policy; the gate only says who may knock.

use crate::{Failure, State, Viewer, api, auth, journal, pages, survey};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use std::net::SocketAddr;

/// Who may reach a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Anyone (health, assets, the sign-in page).
    Public,
    /// Anyone, but a form post must carry the sign-in form's token (double submit).
    SignInForm,
    /// A signed-in account.
    SignedIn,
    /// An account that sees the organization (analysts, admins).
    Org,
    /// An admin.
    Admin,
}

/// The handlers, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum H {
    Healthz,
    Asset,
    Home,
    LoginPage,
    LoginForm,
    LogoutForm,
    InvitePage,
    InviteForm,
    MyMirrorPage,
    MyTeamsPage,
    TeamPage,
    OrgPage,
    OrgGroupsPage,
    OrgFindingsPage,
    DataPage,
    Upload,
    AnalyzeForm,
    AccountsPage,
    AccountAdd,
    AccountChange,
    AuditPage,
    AuditCsv,
    SettingsPage,
    SettingsForm,
    ApiLogin,
    ApiLogout,
    ApiMe,
    ApiMyMirror,
    ApiPersonMirror,
    ApiTeam,
    ApiOrgMirror,
    ApiOrgFindings,
    ApiOrgGroups,
    ApiExport,
    ApiAudit,
    ApiJobs,
    ApiJob,
    ApiOpenApi,
    JournalForm,
    JournalDeleteForm,
    ApiJournal,
    ApiJournalAdd,
    ApiJournalClear,
    ApiJournalDelete,
    ApiJournalExport,
    SurveysPage,
    SurveyCreate,
    SurveyStatus,
    SurveyInvitations,
    SurveyClose,
    SurveyForm,
    SurveyAnswer,
    SurveyResults,
    SurveySend,
    SurveyMirror,
    ApiSurveys,
    ApiSurvey,
    ApiSurveyResults,
}

/// One route.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub gate: Gate,
    pub handler: H,
    pub summary: &'static str,
}

const fn r(
    method: &'static str,
    path: &'static str,
    gate: Gate,
    handler: H,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        gate,
        handler,
        summary,
    }
}

use Gate::*;

pub const ROUTES: &[Route] = &[
    r(
        "GET",
        "/healthz",
        Public,
        H::Healthz,
        "Liveness: 200 and `ok` while the server runs.",
    ),
    r(
        "GET",
        "/assets/{name}",
        Public,
        H::Asset,
        "The pages' style sheets and scripts.",
    ),
    r(
        "GET",
        "/",
        Public,
        H::Home,
        "The viewer's start page (or the sign-in page).",
    ),
    r("GET", "/login", Public, H::LoginPage, "The sign-in page."),
    r(
        "POST",
        "/login",
        SignInForm,
        H::LoginForm,
        "Signs in with e-mail and password.",
    ),
    r("POST", "/logout", SignedIn, H::LogoutForm, "Signs out."),
    r(
        "GET",
        "/invite/{token}",
        Public,
        H::InvitePage,
        "An invitation: choose a password.",
    ),
    r(
        "POST",
        "/invite/{token}",
        SignInForm,
        H::InviteForm,
        "Sets the invited account's password.",
    ),
    r("GET", "/me", SignedIn, H::MyMirrorPage, "My mirror."),
    r(
        "GET",
        "/teams",
        SignedIn,
        H::MyTeamsPage,
        "The teams I lead.",
    ),
    r(
        "GET",
        "/teams/{leader}",
        SignedIn,
        H::TeamPage,
        "One team's aggregates.",
    ),
    r("GET", "/org", Org, H::OrgPage, "The org mirror."),
    r(
        "GET",
        "/org/groups",
        Org,
        H::OrgGroupsPage,
        "Departments and communities.",
    ),
    r(
        "GET",
        "/org/findings",
        Org,
        H::OrgFindingsPage,
        "The org's findings.",
    ),
    r(
        "GET",
        "/data",
        Admin,
        H::DataPage,
        "Uploads and the job history.",
    ),
    r(
        "POST",
        "/data/upload",
        Admin,
        H::Upload,
        "Uploads a file and ingests it in the background.",
    ),
    r(
        "POST",
        "/data/analyze",
        Admin,
        H::AnalyzeForm,
        "Starts an analysis in the background.",
    ),
    r(
        "GET",
        "/accounts",
        Admin,
        H::AccountsPage,
        "Accounts and access.",
    ),
    r(
        "POST",
        "/accounts",
        Admin,
        H::AccountAdd,
        "Adds an account and shows its invitation.",
    ),
    r(
        "POST",
        "/accounts/{id}",
        Admin,
        H::AccountChange,
        "Disables, enables, removes or re-invites an account.",
    ),
    r("GET", "/audit", Admin, H::AuditPage, "The access log."),
    r(
        "GET",
        "/audit.csv",
        Admin,
        H::AuditCsv,
        "The access log as CSV.",
    ),
    r("GET", "/settings", Admin, H::SettingsPage, "Settings."),
    r(
        "POST",
        "/settings",
        Admin,
        H::SettingsForm,
        "Raises the minimum group size; sets the analysis windows.",
    ),
    r(
        "POST",
        "/api/v1/session",
        Public,
        H::ApiLogin,
        "Signs in (JSON e-mail and password); sets the session cookie.",
    ),
    r(
        "DELETE",
        "/api/v1/session",
        SignedIn,
        H::ApiLogout,
        "Signs out.",
    ),
    r(
        "GET",
        "/api/v1/me",
        SignedIn,
        H::ApiMe,
        "The signed-in account, its role and its CSRF token.",
    ),
    r(
        "GET",
        "/api/v1/me/mirror",
        SignedIn,
        H::ApiMyMirror,
        "My mirror (`?window=`).",
    ),
    r(
        "GET",
        "/api/v1/people/{pseudonym}/mirror",
        SignedIn,
        H::ApiPersonMirror,
        "A person's mirror: 403 unless it is the viewer's own or the viewer sees the organization.",
    ),
    r(
        "GET",
        "/api/v1/teams/{leader}",
        SignedIn,
        H::ApiTeam,
        "A team's aggregates (its leader's pseudonym): its leader or org viewers, teams of at least the minimum group size.",
    ),
    r(
        "GET",
        "/api/v1/org/mirror",
        Org,
        H::ApiOrgMirror,
        "The org mirror's figures for a window.",
    ),
    r(
        "GET",
        "/api/v1/org/findings",
        Org,
        H::ApiOrgFindings,
        "The org's findings (`?window=&top=`).",
    ),
    r(
        "GET",
        "/api/v1/org/groups",
        Org,
        H::ApiOrgGroups,
        "Departments and communities (`?window=`).",
    ),
    r(
        "GET",
        "/api/v1/org/export/{table}",
        Org,
        H::ApiExport,
        "A result table as CSV, with pseudonyms and small groups suppressed.",
    ),
    r(
        "GET",
        "/api/v1/audit",
        Admin,
        H::ApiAudit,
        "The access log (`?before=&limit=&viewer=`).",
    ),
    r(
        "GET",
        "/api/v1/jobs",
        Admin,
        H::ApiJobs,
        "Background jobs, newest first.",
    ),
    r(
        "GET",
        "/api/v1/jobs/{id}",
        Admin,
        H::ApiJob,
        "One job's state and progress.",
    ),
    r(
        "GET",
        "/api/v1/openapi.json",
        Public,
        H::ApiOpenApi,
        "This API's OpenAPI description.",
    ),
    r(
        "POST",
        "/me/journal",
        SignedIn,
        H::JournalForm,
        "Adds an entry to my journal.",
    ),
    r(
        "POST",
        "/me/journal/delete",
        SignedIn,
        H::JournalDeleteForm,
        "Deletes an entry of my journal, or all of it.",
    ),
    r(
        "GET",
        "/api/v1/me/journal",
        SignedIn,
        H::ApiJournal,
        "My journal (members and leaders; nobody else's, ever).",
    ),
    r(
        "POST",
        "/api/v1/me/journal",
        SignedIn,
        H::ApiJournalAdd,
        "Adds an entry (JSON day YYYY-MM-DD, other: a pseudonym, what: a kind).",
    ),
    r(
        "DELETE",
        "/api/v1/me/journal",
        SignedIn,
        H::ApiJournalClear,
        "Deletes my whole journal.",
    ),
    r(
        "DELETE",
        "/api/v1/me/journal/{id}",
        SignedIn,
        H::ApiJournalDelete,
        "Deletes one entry of my journal.",
    ),
    r(
        "GET",
        "/api/v1/me/journal/export",
        SignedIn,
        H::ApiJournalExport,
        "My journal as CSV.",
    ),
    r(
        "GET",
        "/surveys",
        Org,
        H::SurveysPage,
        "Survey campaigns, and a form to start one.",
    ),
    r(
        "POST",
        "/surveys",
        Org,
        H::SurveyCreate,
        "Creates a campaign and its invitations.",
    ),
    r(
        "GET",
        "/surveys/{id}",
        Org,
        H::SurveyStatus,
        "A campaign's response rate (counts only).",
    ),
    r(
        "GET",
        "/surveys/{id}/invitations.csv",
        Org,
        H::SurveyInvitations,
        "A campaign's invitation links as CSV.",
    ),
    r(
        "POST",
        "/surveys/{id}/close",
        Admin,
        H::SurveyClose,
        "Closes a campaign: its answers become survey answers and an analysis runs.",
    ),
    r(
        "GET",
        "/s/{token}",
        Public,
        H::SurveyForm,
        "A respondent's form (the link is the credential).",
    ),
    r(
        "POST",
        "/s/{token}",
        SignInForm,
        H::SurveyAnswer,
        "Saves or sends a respondent's answers.",
    ),
    r(
        "GET",
        "/s/{token}/mirror",
        Public,
        H::SurveyMirror,
        "A respondent's own mirror once the campaign closed (the link is the credential).",
    ),
    r(
        "GET",
        "/surveys/{id}/results",
        SignedIn,
        H::SurveyResults,
        "A closed campaign's aggregates (leaders and org viewers; groups under the minimum hidden).",
    ),
    r(
        "POST",
        "/surveys/{id}/send",
        Org,
        H::SurveySend,
        "Sends the invitations (or, with `reminder`, reminders) through the server's SMTP relay.",
    ),
    r(
        "GET",
        "/api/v1/surveys",
        Org,
        H::ApiSurveys,
        "Campaigns with their response counts.",
    ),
    r(
        "GET",
        "/api/v1/surveys/{id}",
        Org,
        H::ApiSurvey,
        "One campaign with its response counts.",
    ),
    r(
        "GET",
        "/api/v1/surveys/{id}/results",
        SignedIn,
        H::ApiSurveyResults,
        "A closed campaign's aggregates with 95% intervals and changes since the previous campaign.",
    ),
];

fn handler(h: H, method: MethodFilter) -> MethodRouter<State> {
    match h {
        H::Healthz => on(method, || async { "ok" }),
        H::Asset => on(method, pages::asset),
        H::Home => on(method, pages::home),
        H::LoginPage => on(method, pages::login_page),
        H::LoginForm => on(method, pages::login_form),
        H::LogoutForm => on(method, pages::logout_form),
        H::InvitePage => on(method, pages::invite_page),
        H::InviteForm => on(method, pages::invite_form),
        H::MyMirrorPage => on(method, pages::my_mirror),
        H::MyTeamsPage => on(method, pages::my_teams),
        H::TeamPage => on(method, pages::team_page),
        H::OrgPage => on(method, pages::org_page),
        H::OrgGroupsPage => on(method, pages::org_groups),
        H::OrgFindingsPage => on(method, pages::org_findings),
        H::DataPage => on(method, pages::data_page),
        H::Upload => on(method, pages::upload),
        H::AnalyzeForm => on(method, pages::analyze_form),
        H::AccountsPage => on(method, pages::accounts_page),
        H::AccountAdd => on(method, pages::account_add),
        H::AccountChange => on(method, pages::account_change),
        H::AuditPage => on(method, pages::audit_page),
        H::AuditCsv => on(method, pages::audit_csv),
        H::SettingsPage => on(method, pages::settings_page),
        H::SettingsForm => on(method, pages::settings_form),
        H::ApiLogin => on(method, api::login),
        H::ApiLogout => on(method, api::logout),
        H::ApiMe => on(method, api::me),
        H::ApiMyMirror => on(method, api::my_mirror),
        H::ApiPersonMirror => on(method, api::person_mirror),
        H::ApiTeam => on(method, api::team),
        H::ApiOrgMirror => on(method, api::org_mirror),
        H::ApiOrgFindings => on(method, api::org_findings),
        H::ApiOrgGroups => on(method, api::org_groups),
        H::ApiExport => on(method, api::export),
        H::ApiAudit => on(method, api::audit),
        H::ApiJobs => on(method, api::jobs),
        H::ApiJob => on(method, api::job),
        H::ApiOpenApi => on(method, api::openapi),
        H::JournalForm => on(method, journal::form_add),
        H::JournalDeleteForm => on(method, journal::form_delete),
        H::ApiJournal => on(method, journal::api_list),
        H::ApiJournalAdd => on(method, journal::api_add),
        H::ApiJournalClear => on(method, journal::api_delete_all),
        H::ApiJournalDelete => on(method, journal::api_delete_one),
        H::ApiJournalExport => on(method, journal::export),
        H::SurveysPage => on(method, survey::list_page),
        H::SurveyCreate => on(method, survey::create_form),
        H::SurveyStatus => on(method, survey::status_page),
        H::SurveyInvitations => on(method, survey::invitations_csv),
        H::SurveyClose => on(method, survey::close_form),
        H::SurveyForm => on(method, survey::form_page),
        H::SurveyAnswer => on(method, survey::form_post),
        H::SurveyResults => on(method, survey::results_page),
        H::SurveySend => on(method, survey::send_form),
        H::SurveyMirror => on(method, survey::respondent_mirror),
        H::ApiSurveys => on(method, survey::api_list),
        H::ApiSurvey => on(method, survey::api_campaign),
        H::ApiSurveyResults => on(method, survey::api_results),
    }
}

fn filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "DELETE" => MethodFilter::DELETE,
        "PUT" => MethodFilter::PUT,
        other => panic!("no method filter for {other}"),
    }
}

/// The server's router: every route of [`ROUTES`] behind its gate, security headers on every
/// answer, and a JSON or page 404 for anything else.
pub fn router(state: State) -> axum::Router {
    let mut router = axum::Router::new();
    for route in ROUTES {
        let gated = handler(route.handler, filter(route.method)).layer(
            axum::middleware::from_fn_with_state((state.clone(), *route), gate),
        );
        router = router.route(route.path, gated);
    }
    let tls = state.tls;
    router
        .fallback(|req: Request| async move {
            let api = req.uri().path().starts_with("/api/");
            let f = Failure::new(StatusCode::NOT_FOUND, "not_found", "no such page");
            if api { f } else { f.page() }
        })
        .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| async move {
                let mut res = next.run(req).await;
                crate::security_headers(res.headers_mut(), tls);
                res
            },
        ))
        .with_state(state)
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "om_session";
/// The sign-in form's double-submit cookie.
pub const FORM_COOKIE: &str = "om_form";

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A Set-Cookie value: HttpOnly, SameSite=Strict, Secure over TLS; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, tls: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(m) = max_age {
        c.push_str(&format!("; Max-Age={m}"));
    }
    if tls {
        c.push_str("; Secure");
    }
    c
}

/// Equal, in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who is asking: a proxy's header from loopback, or a live session cookie.
fn viewer(
    state: &State,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> anyhow::Result<Option<Viewer>> {
    let now = auth::now();
    if let Some(h) = &state.config.trust_proxy_header
        && let Some(email) = headers.get(h.as_str()).and_then(|v| v.to_str().ok())
    {
        // Only a proxy on this machine may vouch; elsewhere the header is ignored.
        if peer.is_some_and(|p| p.ip().is_loopback()) {
            let Some(account) = state.db.account(email)?.filter(|a| !a.disabled) else {
                return Ok(None);
            };
            // A proxy's viewer has no session; its forms carry a token derived from the account.
            let csrf =
                blake3::keyed_hash(&proxy_key(), format!("csrf:{}", account.email).as_bytes())
                    .to_hex()
                    .to_string();
            return Ok(Some(Viewer {
                account,
                csrf,
                session: None,
            }));
        }
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::token_hash(&token);
    let Some(s) = state.db.session(&hash)? else {
        return Ok(None);
    };
    if s.seen + state.config.idle_seconds <= now || s.created + state.config.absolute_seconds <= now
    {
        state.db.end_session(&hash)?;
        return Ok(None);
    }
    let Some(account) = state.db.account_by_id(s.account)?.filter(|a| !a.disabled) else {
        return Ok(None);
    };
    // Idle time is counted in minutes, so a busy session writes at most once a minute.
    if now - s.seen >= 60 {
        state.db.touch_session(&hash, now)?;
    }
    Ok(Some(Viewer {
        account,
        csrf: s.csrf,
        session: Some(hash),
    }))
}

/// A per-process key for proxy viewers' form tokens.
fn proxy_key() -> [u8; 32] {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *KEY.get_or_init(|| {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).expect("random source");
        k
    })
}

fn changes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Form bodies are read whole to find their token; uploads (multipart) carry it in a header.
const FORM_LIMIT: usize = 1024 * 1024;

async fn gate(
    axum::extract::State((state, route)): axum::extract::State<(State, Route)>,
    req: Request,
    next: Next,
) -> Response {
    let api = route.path.starts_with("/api/");
    let fail = |f: Failure| {
        if api {
            f.into_response()
        } else {
            f.page().into_response()
        }
    };
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let headers = req.headers().clone();
    // A cross-site request is refused whatever its cookies.
    if changes(req.method())
        && let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
    {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let bare = origin.split_once("://").map_or(origin, |x| x.1);
        // `null` (a privacy setting, a sandboxed frame) proves nothing either way: the session's
        // token and the SameSite cookie still guard the change.
        if origin != "null" && bare != host {
            return fail(Failure::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "requests from another site are refused",
            ));
        }
    }
    let s = state.clone();
    let h = headers.clone();
    let mut req = req;
    let who = match tokio::task::spawn_blocking(move || viewer(&s, &h, peer)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return fail(Failure::from_app(e)),
        Err(e) => return fail(Failure::from_app(e.into())),
    };
    match route.gate {
        Public => {}
        SignInForm => {
            if changes(req.method()) {
                let (parts, b) = req.into_parts();
                let bytes = match read_form(b).await {
                    Ok(b) => b,
                    Err(f) => return fail(f),
                };
                let field = form_field(&bytes, "csrf");
                let cookie = cookie(&parts.headers, FORM_COOKIE);
                if !matches!((&field, &cookie), (Some(f), Some(c)) if same(f, c)) {
                    return fail(Failure::new(
                        StatusCode::FORBIDDEN,
                        "csrf",
                        "the form has expired or did not come from this site; load the page again",
                    ));
                }
                req = Request::from_parts(parts, Body::from(bytes));
            }
        }
        SignedIn | Org | Admin => {
            let Some(v) = &who else {
                if api {
                    return Failure::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        "sign in first",
                    )
                    .into_response();
                }
                return Redirect::to("/login").into_response();
            };
            if route.gate != SignedIn {
                // The application core's policy decides, and records a refusal.
                let policy = v.policy(&state);
                let mut log = state.audit.clone();
                let what = format!("{} {}", route.method, route.path);
                let admin = route.gate == Admin;
                let refused = tokio::task::spawn_blocking(move || {
                    if admin {
                        policy.require_admin(&mut log, &what)
                    } else {
                        policy.require_org(&mut log, &what)
                    }
                })
                .await;
                match refused {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return fail(Failure::from_app(e)),
                    Err(e) => return fail(Failure::from_app(e.into())),
                }
            }
            if changes(req.method()) {
                let (parts, b) = req.into_parts();
                let form = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
                let (token, body) = if form {
                    let bytes = match read_form(b).await {
                        Ok(b) => b,
                        Err(f) => return fail(f),
                    };
                    (form_field(&bytes, "csrf"), Body::from(bytes))
                } else {
                    (
                        parts
                            .headers
                            .get("x-csrf-token")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string),
                        b,
                    )
                };
                if !token.is_some_and(|t| same(&t, &v.csrf)) {
                    return fail(Failure::new(
                        StatusCode::FORBIDDEN,
                        "csrf",
                        "this change did not carry the page's token; load the page again",
                    ));
                }
                req = Request::from_parts(parts, body);
            }
        }
    }
    if let Some(v) = who {
        req.extensions_mut().insert(v);
    }
    next.run(req).await
}

/// A form's whole body (at most [`FORM_LIMIT`]), read to find its token.
async fn read_form(b: Body) -> Result<axum::body::Bytes, Failure> {
    axum::body::to_bytes(b, FORM_LIMIT).await.map_err(|_| {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the form is too large",
        )
    })
}

/// A field of a URL-encoded form.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The client's address, when the server knows it (tests calling the router directly do not).
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Peer, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}
