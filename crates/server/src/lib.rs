//! `orgmirror serve`: the mirror for the people it is about. Accounts sign in (a password hashed
//! with Argon2id, or a single-sign-on proxy's header from loopback); each request's viewer becomes
//! an [`app::Policy`], and every read goes through the application core's policy and is recorded
//! in the access log before it is shown. Pages are rendered on the server; the JSON API under
//! `/api/v1` answers the same questions under the same policy.
//!
//! Every route is declared once in [`routes::ROUTES`] with the gate it passes (public, signed in,
//! org viewers, admins); the router is built from that table, so a route cannot exist without a
//! rule.

pub mod api;
pub mod auth;
pub mod db;
pub mod jobs;
pub mod journal;
pub mod openapi;
pub mod pages;
pub mod results;
pub mod routes;
pub mod smtp;
pub mod survey;
pub mod users;

use anyhow::{Context, Result};
use app::live::Live;
use app::{Policy, Role};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use db::{Account, Db};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// How the server is run.
#[derive(Clone, Debug)]
pub struct Config {
    pub workspace: PathBuf,
    /// The identity key, when it is kept outside the workspace.
    pub key: Option<PathBuf>,
    pub listen: SocketAddr,
    /// A PostgreSQL URL; None for the embedded SQLite file in the workspace.
    pub database: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// A header a single-sign-on proxy on loopback sets to the signed-in e-mail.
    pub trust_proxy_header: Option<String>,
    /// Sessions end after this long without a request.
    pub idle_seconds: i64,
    /// And this long after sign-in, whatever happens.
    pub absolute_seconds: i64,
    /// The SMTP relay (HOST:PORT) survey invitations are sent through from the pages.
    pub smtp: Option<String>,
    /// The sender of those messages.
    pub smtp_from: Option<String>,
    /// The address people reach the server at (links in invitations); else the request's host.
    pub public_url: Option<String>,
}

impl Config {
    pub fn new(workspace: &Path) -> Config {
        Config {
            workspace: workspace.to_path_buf(),
            key: None,
            listen: "127.0.0.1:8080".parse().expect("address"),
            database: None,
            tls_cert: None,
            tls_key: None,
            trust_proxy_header: None,
            idle_seconds: 30 * 60,
            absolute_seconds: 12 * 3600,
            smtp: None,
            smtp_from: None,
            public_url: None,
        }
    }
}

/// What every request shares.
pub struct Shared {
    pub config: Config,
    pub db: Arc<Db>,
    pub audit: auth::AuditWriter,
    pub live: RwLock<Option<Arc<Live>>>,
    /// The workspace's minimum group size (read at start, raised from the settings page).
    pub min_group: AtomicUsize,
    /// The workspace holds identities and their key.
    pub keyed: bool,
    pub throttle: auth::Throttle,
    pub tls: bool,
    /// Jobs run one at a time.
    pub job_lock: std::sync::Mutex<()>,
}

pub type State = Arc<Shared>;

impl Shared {
    /// Opens the workspace and the server's database, and reads the analysis if there is one.
    pub fn open(config: Config) -> Result<State> {
        let session = open_session(&config, "orgmirror-server", Role::Admin)?;
        let db = Arc::new(Db::open(config.database.as_deref(), &config.workspace)?);
        db.abandon_jobs(auth::now())?;
        let live = Live::load(&session).ok().map(Arc::new);
        let min_group = session.policy().min_group;
        let keyed = session.policy().keyed;
        let tls = config.tls_cert.is_some();
        Ok(Arc::new(Shared {
            audit: auth::AuditWriter::start(db.clone()),
            db,
            live: RwLock::new(live),
            min_group: AtomicUsize::new(min_group),
            keyed,
            throttle: auth::Throttle::default(),
            tls,
            job_lock: std::sync::Mutex::new(()),
            config,
        }))
    }

    pub fn live(&self) -> Option<Arc<Live>> {
        self.live.read().expect("live").clone()
    }

    /// Reads the analysis again (after a job wrote new results).
    pub fn reload(&self) -> Result<()> {
        let session = open_session(&self.config, "orgmirror-server", Role::Admin)?;
        let live = Live::load(&session)?;
        self.min_group
            .store(session.policy().min_group, Ordering::Relaxed);
        *self.live.write().expect("live") = Some(Arc::new(live));
        Ok(())
    }
}

/// A session of the application core for a server account.
pub fn open_session(config: &Config, viewer: &str, role: Role) -> Result<app::Session> {
    app::Session::open_as(&config.workspace, viewer, role, config.key.as_deref())
        .with_context(|| format!("opening the workspace {}", config.workspace.display()))
}

/// The signed-in account behind a request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub account: Account,
    /// The token forms and API calls that change something must carry.
    pub csrf: String,
    /// The session's token hash (None when a proxy signed the account in).
    pub session: Option<String>,
}

impl Viewer {
    /// The server acting on its own (closing a campaign at its closing day), as an admin.
    pub fn system(what: &str) -> Viewer {
        Viewer {
            account: Account {
                id: 0,
                email: format!("orgmirror ({what})"),
                role: "admin".into(),
                person: None,
                identified: false,
                password: None,
                disabled: false,
                created: 0,
            },
            csrf: String::new(),
            session: None,
        }
    }

    /// The account's role as the application core knows it.
    pub fn role(&self) -> Role {
        let person = self.account.person.clone().unwrap_or_default();
        match self.account.role.as_str() {
            "admin" => Role::Admin,
            "analyst" if self.account.identified => Role::Identified,
            "analyst" => Role::Analyst,
            "leader" if !person.is_empty() => Role::Leader(person),
            // A member, or a leader or member not linked to anyone (sees nothing but refusals).
            _ => Role::Member(person),
        }
    }

    pub fn policy(&self, s: &Shared) -> Policy {
        Policy {
            viewer: self.account.email.clone(),
            role: self.role(),
            min_group: s.min_group.load(Ordering::Relaxed),
            keyed: s.keyed,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.account.role == "admin"
    }

    pub fn sees_org(&self) -> bool {
        matches!(self.account.role.as_str(), "admin" | "analyst")
    }
}

/// An error as the API and the pages show it: a status, a stable code and a message.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Answer as JSON (API routes) or as a page.
    pub json: bool,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
            json: true,
        }
    }

    pub fn page(mut self) -> Failure {
        self.json = false;
        self
    }

    /// Classifies an error of the application core: a policy refusal is 403; a missing person,
    /// window or team is 404; anything else is 500, with the details in the server's log only.
    pub fn from_app(e: anyhow::Error) -> Failure {
        if let Some(r) = e.downcast_ref::<app::Refused>() {
            return Failure::new(StatusCode::FORBIDDEN, "forbidden", r.0.clone());
        }
        let text = e.to_string();
        if text.starts_with("no ")
            || text.contains(" leads no team")
            || text.contains(" is not in window")
        {
            return Failure::new(StatusCode::NOT_FOUND, "not_found", text);
        }
        eprintln!("error: {e:#}");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not answer; the details are in its log",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
            (self.status, axum::Json(body)).into_response()
        } else {
            let html = pages::error_page(self.status, self.code, &self.message);
            (self.status, html).into_response()
        }
    }
}

/// Headers every answer carries.
pub fn security_headers(h: &mut HeaderMap, tls: bool) {
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts.
    set(h, "referrer-policy", "same-origin");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    if tls {
        set(h, "strict-transport-security", "max-age=31536000");
    }
}

/// Runs the server on its own runtime until it is stopped.
pub fn run(config: Config) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(config))
}

/// Runs the server until it is stopped (Ctrl-C or SIGTERM).
pub async fn serve(config: Config) -> Result<()> {
    let listen = config.listen;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => Some(tls_config(c, k)?),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    if let Some(h) = &config.trust_proxy_header {
        eprintln!("trusting the {h} header from loopback only");
    }
    let state = tokio::task::spawn_blocking(move || Shared::open(config)).await??;
    let router = routes::router(state.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!(
        "orgmirror serving {} on {scheme}://{} (accounts in {})",
        state.config.workspace.display(),
        listener.local_addr()?,
        state.db.label
    );
    // Expired sessions are removed every minute.
    let sweeper = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            let s = sweeper.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let t = auth::now();
                s.db.expire_sessions(t - s.config.idle_seconds, t - s.config.absolute_seconds)
            })
            .await;
        }
    });
    // Campaigns past their closing day are closed (and analyzed) by the server itself.
    let closer = state.clone();
    tokio::spawn(async move {
        loop {
            let s = closer.clone();
            let _ = tokio::task::spawn_blocking(move || survey::close_due(&s)).await;
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    match tls {
        None => {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown())
            .await?
        }
        Some(tls) => serve_tls(listener, router, tls).await?,
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn tls_config(cert: &Path, key: &Path) -> Result<Arc<tokio_rustls::rustls::ServerConfig>> {
    use rustls_pemfile::Item;
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("reading {}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate in the file", cert.display());
    }
    let mut reader = std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("reading {}", key.display()))?,
    );
    let key = loop {
        match rustls_pemfile::read_one(&mut reader)
            .with_context(|| format!("{}: not a PEM private key", key.display()))?
        {
            Some(Item::Pkcs8Key(k)) => break k.into(),
            Some(Item::Pkcs1Key(k)) => break k.into(),
            Some(Item::Sec1Key(k)) => break k.into(),
            Some(_) => continue,
            None => anyhow::bail!("{}: no private key in the file", key.display()),
        }
    };
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the TLS certificate and key do not go together")?;
    Ok(Arc::new(config))
}

async fn serve_tls(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    config: Arc<tokio_rustls::rustls::ServerConfig>,
) -> Result<()> {
    use hyper_util::rt::TokioIo;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let stop = shutdown();
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => r?,
            _ = &mut stop => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let app = router
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
