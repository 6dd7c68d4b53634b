//! `orgmirror serve` and `orgmirror user`: the server over a workspace, and its accounts.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Keep accounts, sessions, the access log and jobs in PostgreSQL
    /// (postgres://user@host:port/database) instead of the workspace's SQLite file.
    #[arg(long, value_name = "URL", env = "ORGMIRROR_DATABASE")]
    pub database: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM); cookies are then Secure.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Sign in the account whose e-mail a single-sign-on proxy on this machine puts in this
    /// header (trusted from loopback only), e.g. X-Forwarded-Email.
    #[arg(long, value_name = "HEADER")]
    pub trust_proxy_header: Option<String>,
    /// Sessions end after this many minutes without a request.
    #[arg(long, default_value_t = 30)]
    pub idle_minutes: i64,
    /// And this many hours after sign-in.
    #[arg(long, default_value_t = 12)]
    pub session_hours: i64,
    /// Send survey invitations and reminders from the Surveys page through this SMTP relay
    /// (HOST:PORT; it does TLS and authentication onwards).
    #[arg(long, value_name = "HOST:PORT", requires = "smtp_from")]
    pub smtp: Option<String>,
    /// The sender of those messages.
    #[arg(long, value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
    /// The address people reach this server at, for the links in invitations
    /// (default: the host the request came to).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Subcommand)]
pub enum UserWhat {
    /// Add an account and print its one-time invitation link.
    Add {
        email: String,
        #[arg(long, value_parser = ["admin", "analyst", "leader", "member"])]
        role: String,
        /// The person the account is (id, e-mail or pseudonym); needed for leaders and members.
        #[arg(long)]
        person: Option<String>,
        /// The server's address as people reach it, for the link.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Set an account's password, read from standard input (one line).
    SetPassword { email: String },
    /// List the accounts.
    List,
    /// Disable an account (its sessions end).
    Disable { email: String },
    /// Enable a disabled account.
    Enable { email: String },
    /// Remove an account.
    Remove { email: String },
    /// Let an analyst see identities (or, with --off, pseudonyms only again).
    Identify {
        email: String,
        #[arg(long)]
        off: bool,
    },
    /// A new invitation link for an account.
    Invite {
        email: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
}

fn config(workspace: PathBuf, key: Option<PathBuf>, database: Option<String>) -> server::Config {
    let mut c = server::Config::new(&workspace);
    c.key = key;
    c.database = database;
    c
}

pub fn serve(workspace: PathBuf, key: Option<PathBuf>, a: ServeArgs) -> Result<()> {
    let mut c = config(workspace, key, a.database);
    c.listen = a.listen;
    c.tls_cert = a.tls_cert;
    c.tls_key = a.tls_key;
    c.trust_proxy_header = a.trust_proxy_header;
    c.idle_seconds = a.idle_minutes.max(1) * 60;
    c.absolute_seconds = a.session_hours.max(1) * 3600;
    c.smtp = a.smtp;
    c.smtp_from = a.smtp_from;
    c.public_url = a.public_url;
    server::run(c)
}

pub fn user(
    workspace: PathBuf,
    key: Option<PathBuf>,
    database: Option<String>,
    what: UserWhat,
    out: &mut impl Write,
) -> Result<()> {
    // Only the workspace's admin manages its server's accounts.
    let me = crate::commands::viewer();
    let mut session = app::Session::open_with(&workspace, &me, key.as_deref())?;
    session.require_manager("manage the server's accounts")?;
    drop(session);
    let c = config(workspace.clone(), key, database);
    let db = server::db::Db::open(c.database.as_deref(), &workspace)?;
    match what {
        UserWhat::Add {
            email,
            role,
            person,
            base_url,
        } => {
            let (a, token) = server::users::add(&db, &c, &me, &email, &role, person.as_deref())?;
            writeln!(
                out,
                "added {} ({}{}); give them this link (it works once, for 7 days):\n{}/invite/{token}",
                a.email,
                a.role,
                a.person
                    .as_deref()
                    .map_or(String::new(), |p| format!(", person {p}")),
                base_url.trim_end_matches('/')
            )?;
        }
        UserWhat::SetPassword { email } => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                bail!("no password on standard input");
            }
            server::users::set_password(&db, &me, &email, password)?;
            writeln!(out, "password set for {email}")?;
        }
        UserWhat::List => {
            writeln!(out, "email\trole\tperson\tstate")?;
            for a in db.accounts()? {
                let state = a.state();
                let role = if a.identified {
                    format!("{} (identities)", a.role)
                } else {
                    a.role
                };
                writeln!(
                    out,
                    "{}\t{role}\t{}\t{state}",
                    a.email,
                    a.person.unwrap_or_default()
                )?;
            }
        }
        UserWhat::Disable { email } => {
            server::users::change(&db, &me, &email, "disable")?;
            writeln!(out, "disabled {email}")?;
        }
        UserWhat::Enable { email } => {
            server::users::change(&db, &me, &email, "enable")?;
            writeln!(out, "enabled {email}")?;
        }
        UserWhat::Remove { email } => {
            server::users::change(&db, &me, &email, "remove")?;
            writeln!(out, "removed {email}")?;
        }
        UserWhat::Identify { email, off } => {
            server::users::change(
                &db,
                &me,
                &email,
                if off { "unidentify" } else { "identify" },
            )?;
            writeln!(
                out,
                "{email} now sees {}",
                if off { "pseudonyms only" } else { "identities" }
            )?;
        }
        UserWhat::Invite { email, base_url } => {
            let a = server::users::find(&db, &email)?;
            let token = server::users::invite(&db, a.id)?;
            writeln!(out, "{}/invite/{token}", base_url.trim_end_matches('/'))?;
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum SurveyWhat {
    /// Create a campaign for the organization, a department, a team and its neighbours, or a
    /// list of people, and its invitations.
    Create {
        #[arg(long)]
        name: String,
        /// A department's name (default: everyone).
        #[arg(long, default_value = "all", conflicts_with_all = ["team", "people"])]
        department: String,
        /// A team and its neighbours: the leader's people-file id or pseudonym; the leader,
        /// their direct reports and as many of the people the team interacts with most.
        #[arg(long, value_name = "LEADER", conflicts_with = "people")]
        team: Option<String>,
        /// A list of people: a file with one people-file id or pseudonym per line.
        #[arg(long, value_name = "FILE")]
        people: Option<PathBuf>,
        /// Question words, comma-separated: advice, information, energy, trust, decision,
        /// cannot_decline, ally, or your own.
        #[arg(long, default_value = "advice,information,energy")]
        questions: String,
        /// YYYY-MM-DD (default: today).
        #[arg(long)]
        opens: Option<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        closes: String,
        /// No result is shown with fewer respondents (never below the minimum group size).
        #[arg(long, default_value_t = 5)]
        min_respondents: i64,
        /// Also match the answers against interaction data.
        #[arg(long)]
        match_interactions: bool,
    },
    /// The invitation links of a campaign as CSV (person, link, answered), for your own mailer;
    /// or, with --smtp, send each invitee their link through your SMTP relay.
    Invite {
        id: i64,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
        /// Send by e-mail through this relay (HOST:PORT; it does TLS and authentication onwards).
        #[arg(long, value_name = "HOST:PORT", requires = "from")]
        smtp: Option<String>,
        /// The sender's address.
        #[arg(long)]
        from: Option<String>,
        /// Only those who have not answered yet (a reminder).
        #[arg(long)]
        reminder: bool,
    },
    /// Close a campaign now: its answers become survey answers and the workspace is analyzed.
    Close { id: i64 },
    /// Response counts of one campaign, or of all.
    Status { id: Option<i64> },
}

pub fn survey(
    workspace: PathBuf,
    key: Option<PathBuf>,
    database: Option<String>,
    what: SurveyWhat,
    quiet: bool,
    out: &mut impl Write,
) -> Result<()> {
    let me = crate::commands::viewer();
    let mut session = app::Session::open_with(&workspace, &me, key.as_deref())?;
    session.require_manager("run survey campaigns")?;
    let c = config(workspace.clone(), key.clone(), database);
    match what {
        SurveyWhat::Create {
            name,
            department,
            team,
            people,
            questions,
            opens,
            closes,
            min_respondents,
            match_interactions,
        } => {
            drop(session);
            let state = server::Shared::open(c)?;
            let today = server::pages::today();
            let id = server::survey::create(
                &state,
                &me,
                &server::survey::NewCampaign {
                    name,
                    department,
                    team: team.unwrap_or_default(),
                    people: match people {
                        Some(f) => std::fs::read_to_string(&f)
                            .with_context(|| format!("reading {}", f.display()))?,
                        None => String::new(),
                    },
                    questions,
                    opens: opens.unwrap_or(today),
                    closes,
                    min_respondents,
                    match_interactions: match_interactions.then(|| "on".to_string()),
                },
            )?;
            let camp = server::survey::campaign(&state.db, id)?;
            writeln!(
                out,
                "campaign {id}: {} invited; `orgmirror survey invite {id}` prints their links",
                camp.invited
            )?;
        }
        SurveyWhat::Invite {
            id,
            base_url,
            smtp: Some(relay),
            from,
            reminder,
        } => {
            let db = server::db::Db::open(c.database.as_deref(), &workspace)?;
            let said = server::survey::send_invitations(
                &db,
                &mut session,
                id,
                &base_url,
                &relay,
                from.as_deref().unwrap_or_default(),
                reminder,
            )?;
            writeln!(out, "{said}")?;
        }
        SurveyWhat::Invite { id, base_url, .. } => {
            let db = server::db::Db::open(c.database.as_deref(), &workspace)?;
            db.audit(&[(
                server::auth::now(),
                me.clone(),
                "export invitations".into(),
                id.to_string(),
            )])?;
            writeln!(out, "person,link,answered")?;
            for (p, link, answered) in server::survey::links(&db, id, &base_url)? {
                writeln!(out, "{p},{link},{answered}")?;
            }
        }
        SurveyWhat::Close { id } => {
            let db = std::sync::Arc::new(server::db::Db::open(c.database.as_deref(), &workspace)?);
            match server::survey::begin_close(&db, &me, id)? {
                None => writeln!(
                    out,
                    "campaign {id} closed; no answers to store (none, or fewer respondents than its minimum)"
                )?,
                Some(closing) => {
                    let bars = crate::progress::Bars { quiet };
                    let said = closing.finish(&mut session, &bars)?;
                    writeln!(out, "campaign {id} closed: {said}")?;
                }
            }
        }
        SurveyWhat::Status { id } => {
            let db = server::db::Db::open(c.database.as_deref(), &workspace)?;
            writeln!(
                out,
                "id\tname\tscope\tstate\tanswered\tinvited\tsaved\tminimum"
            )?;
            for camp in db
                .campaigns()?
                .into_iter()
                .filter(|x| id.is_none_or(|i| i == x.id))
            {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    camp.id,
                    camp.name,
                    camp.scope,
                    camp.state,
                    camp.submitted,
                    camp.invited,
                    camp.partial,
                    camp.min_respondents
                )?;
            }
        }
    }
    Ok(())
}
