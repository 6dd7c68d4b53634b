//! The JSON API under `/api/v1`: the same questions as the pages, under the same policy.

use crate::auth::{self, SignIn};
use crate::routes::{FORM_COOKIE, SESSION_COOKIE, set_cookie};
use crate::{Failure, State, Viewer};
use app::Policy;
use app::live::Live;
use axum::Json;
use axum::extract::{Extension, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;

pub type Answer = Result<Response, Failure>;

/// The window a request asks for (`all` when it does not say).
#[derive(Deserialize, Default)]
pub struct WindowQuery {
    pub window: Option<String>,
    pub top: Option<usize>,
}

impl WindowQuery {
    pub fn window(&self) -> String {
        self.window.clone().unwrap_or_else(|| "all".into())
    }
}

/// Runs a read of the analysis on a blocking thread, with the viewer's policy and the server's
/// access log.
pub async fn read<T: Send + 'static>(
    state: &State,
    viewer: &Viewer,
    f: impl FnOnce(&Live, &Policy, &mut auth::AuditWriter) -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    let live = state.live().ok_or_else(|| {
        Failure::new(
            StatusCode::CONFLICT,
            "no_analysis",
            "nothing has been analyzed yet: an admin uploads data and runs an analysis first",
        )
    })?;
    let policy = viewer.policy(state);
    let mut log = state.audit.clone();
    blocking(move || f(&live, &policy, &mut log)).await
}

/// Runs `f` on a blocking thread; its error is classified by [`Failure::from_app`].
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(Failure::from_app),
        Err(e) => Err(Failure::from_app(e.into())),
    }
}

/// The viewer's own pseudonym, or a refusal for an account not linked to a person.
pub fn own_person(viewer: &Viewer) -> Result<String, Failure> {
    viewer.account.person.clone().ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "no_person",
            "this account is not linked to a person of the organization, so it has no mirror",
        )
    })
}

#[derive(Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Signs in; answers the account and its CSRF token, and sets the session cookie.
pub async fn login(
    axum::extract::State(state): axum::extract::State<State>,
    crate::routes::Peer(peer): crate::routes::Peer,
    Json(c): Json<Credentials>,
) -> Answer {
    let (cookie, account, csrf) = start_session(&state, peer, c).await?;
    let mut res = Json(json!({"account": account, "csrf": csrf})).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie.parse().expect("cookie"));
    Ok(res)
}

/// Checks credentials with the throttle and the lockout, and opens a session: the Set-Cookie
/// value, the account and the session's CSRF token.
pub async fn start_session(
    state: &State,
    peer: Option<SocketAddr>,
    c: Credentials,
) -> Result<(String, crate::db::Account, String), Failure> {
    let t = auth::now();
    let from = peer.map_or("unknown".into(), |p| p.ip().to_string());
    if !state.throttle.allow(&from, t) {
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "too many sign-in attempts from this address; wait a minute",
        ));
    }
    let s = state.clone();
    let email = c.email.clone();
    let result = blocking(move || auth::sign_in(&s.db, &c.email, &c.password, t)).await?;
    let s = state.clone();
    match result {
        SignIn::Ok(account) => {
            let token = auth::token();
            let csrf = auth::token();
            let a = account.clone();
            let csrf2 = csrf.clone();
            blocking(move || {
                s.db.add_session(&auth::token_hash(&token), a.id, &csrf2, t)?;
                s.audit.write(&a.email, "sign in", "")?;
                Ok(token)
            })
            .await
            .map(|token| {
                (
                    set_cookie(SESSION_COOKIE, &token, None, state.tls),
                    account,
                    csrf,
                )
            })
        }
        SignIn::Wrong => {
            blocking(move || {
                s.audit
                    .write(&email, "refused: sign in", "wrong e-mail or password")
            })
            .await?;
            Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "wrong_credentials",
                "wrong e-mail or password",
            ))
        }
        SignIn::Locked(secs) => {
            blocking(move || s.audit.write(&email, "refused: sign in", "locked")).await?;
            Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                format!(
                    "too many failed sign-ins: this account is locked for {} more minutes",
                    (secs + 59) / 60
                ),
            ))
        }
        SignIn::Throttled => Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "too many sign-in attempts",
        )),
    }
}

/// Signs out.
pub async fn logout(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    end_session(&state, &v).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.tls)
            .parse()
            .expect("cookie"),
    );
    Ok(res)
}

pub async fn end_session(state: &State, v: &Viewer) -> Result<(), Failure> {
    let s = state.clone();
    let v = v.clone();
    blocking(move || {
        if let Some(h) = &v.session {
            s.db.end_session(h)?;
        }
        s.audit.write(&v.account.email, "sign out", "")
    })
    .await
}

/// The signed-in account.
pub async fn me(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
) -> Answer {
    let windows = state.live().map(|l| l.windows()).unwrap_or_default();
    let teams = match (&v.account.person, state.live()) {
        (Some(p), Some(l)) if v.account.role == "leader" => l
            .teams_led_by(p)
            .into_iter()
            .map(|(w, n)| json!({"window": w, "team_size": n}))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Json(json!({
        "account": v.account,
        "csrf": v.csrf,
        "windows": windows,
        "teams": teams,
        "min_group": v.policy(&state).min_group,
    }))
    .into_response())
}

pub async fn my_mirror(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let me = own_person(&v)?;
    mirror_of(&state, &v, me, q.window()).await
}

pub async fn person_mirror(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(pseudonym): Path<String>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    mirror_of(&state, &v, pseudonym, q.window()).await
}

async fn mirror_of(state: &State, v: &Viewer, who: String, window: String) -> Answer {
    let m = read(state, v, move |live, policy, log| {
        live.person_mirror(policy, log, &who, &window)
    })
    .await?;
    Ok(Json(m).into_response())
}

pub async fn team(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(leader): Path<String>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let t = read(&state, &v, move |live, policy, log| {
        live.team_view(policy, log, &leader, &window)
    })
    .await?;
    Ok(Json(t).into_response())
}

pub async fn org_mirror(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let body: Value = read(&state, &v, move |live, policy, log| {
        let findings = live.findings(policy, log, &window, 0)?;
        let groups = live.groups(policy, log, &window)?;
        Ok(json!({
            "window": window,
            "windows": live.windows(),
            "people": live.people(),
            "min_group": policy.min_group,
            "findings": findings.counts.iter().map(|(k, n)| json!({"kind": k, "count": n})).collect::<Vec<_>>(),
            "groups": groups,
        }))
    })
    .await?;
    Ok(Json(body).into_response())
}

pub async fn org_findings(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let top = q.top.unwrap_or(100).min(10_000);
    let f = read(&state, &v, move |live, policy, log| {
        live.findings(policy, log, &window, top)
    })
    .await?;
    Ok(Json(f).into_response())
}

pub async fn org_groups(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let window = q.window();
    let g = read(&state, &v, move |live, policy, log| {
        live.groups(policy, log, &window)
    })
    .await?;
    Ok(Json(json!({"window": q.window(), "groups": g})).into_response())
}

/// A result table as CSV, exported by the application core under the viewer's policy.
pub async fn export(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Path(table): Path<String>,
    Query(q): Query<WindowQuery>,
) -> Answer {
    let s = state.clone();
    let viewer = v.clone();
    let name = table.clone();
    let bytes = blocking(move || {
        app::policy::schema(&name)?;
        let dir = tempdir_in(&s.config.workspace)?;
        let path = dir.join(format!("{name}.csv"));
        let mut session = crate::open_session(&s.config, &viewer.account.email, viewer.role())?;
        s.audit.write(&viewer.account.email, "export", &name)?;
        let req = app::export::ExportRequest {
            table: name.clone(),
            format: app::export::Format::Csv,
            window: q.window.clone(),
            pseudonymize: !viewer.policy(&s).identities(),
            min_group: None,
            layer: "contact".into(),
        };
        let out = session
            .export(&req, &path)
            .and_then(|_| Ok(std::fs::read(&path)?));
        let _ = std::fs::remove_dir_all(&dir);
        out
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{table}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A private folder for a request's files, inside the workspace.
pub fn tempdir_in(workspace: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let dir = workspace
        .join(".orgmirror")
        .join("server-tmp")
        .join(auth::token());
    std::fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(dir)
}

#[derive(Deserialize)]
pub struct AuditQuery {
    pub before: Option<i64>,
    pub limit: Option<i64>,
    pub viewer: Option<String>,
}

pub async fn audit(
    axum::extract::State(state): axum::extract::State<State>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<AuditQuery>,
) -> Answer {
    let s = state.clone();
    let lines = blocking(move || {
        s.audit.write(&v.account.email, "view audit", "")?;
        s.db.audit_lines(
            q.limit.unwrap_or(100).clamp(1, 10_000),
            q.before,
            q.viewer.as_deref(),
        )
    })
    .await?;
    Ok(Json(json!({"lines": lines})).into_response())
}

pub async fn jobs(axum::extract::State(state): axum::extract::State<State>) -> Answer {
    let s = state.clone();
    let jobs = blocking(move || s.db.jobs(50)).await?;
    Ok(Json(json!({"jobs": jobs})).into_response())
}

pub async fn job(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<i64>,
) -> Answer {
    let s = state.clone();
    let jobs = blocking(move || s.db.jobs(1000)).await?;
    match jobs.into_iter().find(|j| j.id == id) {
        Some(j) => Ok(Json(j).into_response()),
        None => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such job",
        )),
    }
}

pub async fn openapi() -> Answer {
    Ok(Json(crate::openapi::document()).into_response())
}

/// Clears the sign-in form's cookie (after a sign-in).
pub fn clear_form_cookie(tls: bool) -> String {
    set_cookie(FORM_COOKIE, "", Some(0), tls)
}
