//! A served workspace for the server's tests: a small generated organization, analyzed, with one
//! account per role, on SQLite and (when `ORGMIRROR_TEST_POSTGRES` names a server) PostgreSQL;
//! and, in `real`, the binary, a server process and a browser for the end-to-end tests.

#![allow(dead_code)]

pub mod real;

use app::live::Live;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use server::{Config, Shared, State};
use std::net::SocketAddr;
use std::path::PathBuf;
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough password";

/// The roles the tests sign in as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Anonymous,
    Member,
    /// Leads a team of at least the minimum group size.
    Leader,
    /// Leads a team under the minimum group size.
    SmallLeader,
    Analyst,
    Admin,
}

pub const EVERYONE: &[Who] = &[
    Who::Anonymous,
    Who::Member,
    Who::Leader,
    Who::SmallLeader,
    Who::Analyst,
    Who::Admin,
];

impl Who {
    pub fn email(self) -> &'static str {
        match self {
            Who::Anonymous => "",
            Who::Member => "member@test.org",
            Who::Leader => "leader@test.org",
            Who::SmallLeader => "small@test.org",
            Who::Analyst => "analyst@test.org",
            Who::Admin => "admin@test.org",
        }
    }
}

/// A signed-in account: its cookie and CSRF token.
#[derive(Clone, Debug, Default)]
pub struct Signed {
    pub cookie: String,
    pub csrf: String,
}

pub struct Served {
    pub dir: tempfile::TempDir,
    pub state: State,
    pub app: Router,
    pub member: String,
    pub leader: String,
    pub small_leader: String,
    /// Someone else (neither the member nor the leaders).
    pub other: String,
    /// Every people-file id (none may appear in a URL, nor in a pseudonymous viewer's page).
    pub ids: Vec<String>,
    pub signed: Vec<(Who, Signed)>,
    pub database: String,
}

/// The databases to run on: the embedded one, and PostgreSQL when the environment names one.
pub fn databases() -> Vec<Option<String>> {
    let mut v = vec![None];
    match std::env::var("ORGMIRROR_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => v.push(Some(fresh_postgres(&base))),
        _ => eprintln!("ORGMIRROR_TEST_POSTGRES is not set: PostgreSQL skipped (CI sets it)"),
    }
    v
}

/// A fresh PostgreSQL database when the environment names a server (CI does); `None`, said on
/// stderr, when it does not.
pub fn postgres() -> Option<String> {
    databases().pop().flatten()
}

/// A new, empty database on the PostgreSQL server of `base`; returns its URL.
pub fn fresh_postgres(base: &str) -> String {
    let name = format!("om_test_{}", &server::auth::token()[..16]);
    // The postgres client runs its own runtime: not on a test's async thread.
    let (b, n) = (base.to_string(), name.clone());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&b, postgres::NoTls).expect("PostgreSQL answers");
        c.batch_execute(&format!("CREATE DATABASE {n}"))
            .expect("creating a test database");
    })
    .join()
    .unwrap();
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap() + 2 => {
            format!("{}/{name}", &base[..i])
        }
        _ => format!("{base}/{name}"),
    }
}

/// A workspace of `people` generated people, analyzed (window `all`).
pub fn workspace(people: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("input");
    let ws = dir.path().join("ws");
    let cfg = app::ingest::GenerateConfig::new(people, 30, 7);
    app::ingest::generate(&cfg, &input, &app::Silent).expect("generate");
    let mut s = app::Session::init(&ws, "tester", 5).expect("init");
    s.ingest_generated(&input, &app::Silent).expect("ingest");
    s.analyze(
        &app::analyze::AnalyzeRequest {
            windows: vec!["all".into()],
            ..Default::default()
        },
        &app::Silent,
    )
    .expect("analyze");
    (dir, ws)
}

impl Served {
    /// A served workspace on `database` with one account per role, each signed in.
    pub async fn start(database: Option<String>, configure: impl FnOnce(&mut Config)) -> Served {
        let (dir, ws) = workspace(150);
        let mut config = Config::new(&ws);
        config.database = database.clone();
        configure(&mut config);
        let st = tokio::task::spawn_blocking(move || Shared::open(config))
            .await
            .unwrap()
            .expect("server state");
        let live = st.live().expect("an analysis");
        let (leader, small_leader) = leaders(&live);
        let member = live
            .pseudonyms()
            .iter()
            .find(|p| **p != leader && **p != small_leader && live.teams_led_by(p).is_empty())
            .expect("a member")
            .clone();
        let other = live
            .pseudonyms()
            .iter()
            .find(|p| ![&member, &leader, &small_leader].contains(p))
            .expect("someone else")
            .clone();
        let ids = {
            let s = app::Session::open(&ws, "tester").unwrap();
            let people = store::Store::people(s.store()).unwrap();
            people.people.iter().map(|p| p.person.id.clone()).collect()
        };
        let s2 = st.clone();
        let accounts = [
            (Who::Member, "member", Some(member.clone())),
            (Who::Leader, "leader", Some(leader.clone())),
            (Who::SmallLeader, "leader", Some(small_leader.clone())),
            (Who::Analyst, "analyst", None),
            (Who::Admin, "admin", None),
        ];
        tokio::task::spawn_blocking(move || {
            for (who, role, person) in accounts {
                server::users::add(
                    &s2.db,
                    &s2.config,
                    "tester",
                    who.email(),
                    role,
                    person.as_deref(),
                )
                .expect("account");
                server::users::set_password(&s2.db, "tester", who.email(), PASSWORD)
                    .expect("password");
            }
        })
        .await
        .unwrap();
        let app = server::routes::router(st.clone());
        let mut served = Served {
            dir,
            state: st,
            app,
            member,
            leader,
            small_leader,
            other,
            ids,
            signed: Vec::new(),
            database: database.map_or("sqlite".into(), |_| "postgres".into()),
        };
        for &who in &EVERYONE[1..] {
            let s = served
                .sign_in(who.email(), PASSWORD, "127.0.0.1:40000")
                .await;
            assert_eq!(s.0, StatusCode::OK, "{who:?} signs in: {}", s.2);
            served.signed.push((who, s.1.expect("a session")));
        }
        served
    }

    pub fn session(&self, who: Who) -> Option<&Signed> {
        self.signed.iter().find(|s| s.0 == who).map(|s| &s.1)
    }

    /// Signs in through the API from `peer`.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        peer: &str,
    ) -> (StatusCode, Option<Signed>, String) {
        let body = serde_json::json!({"email": email, "password": password}).to_string();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .extension(axum::extract::ConnectInfo(
                peer.parse::<SocketAddr>().unwrap(),
            ))
            .body(Body::from(body))
            .unwrap();
        let (status, headers, text) = self.send(req).await;
        if status != StatusCode::OK {
            return (status, None, text);
        }
        let cookie = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let csrf = v["csrf"].as_str().unwrap().to_string();
        (status, Some(Signed { cookie, csrf }), text)
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// A request as `who`, from loopback.
    pub fn request(&self, who: Who, method: &str, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost")
            .extension(axum::extract::ConnectInfo(
                "127.0.0.1:40001".parse::<SocketAddr>().unwrap(),
            ));
        if let Some(s) = self.session(who) {
            b = b.header(header::COOKIE, &s.cookie);
        }
        b
    }

    pub async fn get(&self, who: Who, path: &str) -> (StatusCode, HeaderMap, String) {
        self.send(self.request(who, "GET", path).body(Body::empty()).unwrap())
            .await
    }

    /// A form post as `who`, with the session's token unless `csrf` is false.
    pub async fn post_form(
        &self,
        who: Who,
        path: &str,
        fields: &str,
        csrf: bool,
    ) -> (StatusCode, HeaderMap, String) {
        let token = self
            .session(who)
            .map(|s| s.csrf.clone())
            .unwrap_or_default();
        let body = if csrf {
            format!("csrf={token}&{fields}")
        } else {
            fields.to_string()
        };
        self.send(
            self.request(who, "POST", path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// The access log, oldest first.
    pub fn audit(&self) -> Vec<server::db::AuditRow> {
        let mut v = self.state.db.audit_lines(100_000, None, None).unwrap();
        v.reverse();
        v
    }
}

/// A leader with a team of at least 5, and one with a smaller team.
fn leaders(live: &Live) -> (String, String) {
    let mut big = None;
    let mut small = None;
    for p in live.pseudonyms() {
        for (w, n) in live.teams_led_by(p) {
            if w != "all" {
                continue;
            }
            if n >= 5 && big.is_none() {
                big = Some(p.clone());
            }
            if (1..5).contains(&n) && small.is_none() {
                small = Some(p.clone());
            }
        }
    }
    (
        big.expect("a leader of 5 or more"),
        small.expect("a leader of fewer than 5"),
    )
}

/// The error code of a refusal, from the JSON answer or the error page.
pub fn code(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        return v["error"]["code"].as_str().unwrap_or("").to_string();
    }
    body.split("data-code=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// A campaign's invitation list (`person,name,link,answered`) as (pseudonym, the link's token).
pub fn invitation_rows(csv: &str) -> Vec<(String, String)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f[f.len() - 2].rsplit('/').next().unwrap().to_string(),
            )
        })
        .collect()
}
