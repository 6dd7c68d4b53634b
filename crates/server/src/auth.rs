//! Passwords, tokens, sessions, sign-in limits and the audit writer.

use crate::db::{Account, Db};
use anyhow::{Result, anyhow};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};

/// Sign-in failures that lock an account.
pub const LOCK_AFTER: i64 = 5;
/// Over this many seconds.
pub const LOCK_WINDOW: i64 = 15 * 60;
/// Sign-in attempts one address may make per minute.
pub const ATTEMPTS_PER_MINUTE: u32 = 20;
/// Invitations last a week.
pub const INVITE_SECONDS: i64 = 7 * 24 * 3600;
/// Passwords shorter than this are refused.
pub const MIN_PASSWORD: usize = 12;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// 32 random bytes as hex.
pub fn token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// How tokens are kept at rest: their BLAKE3 hash, so that a copy of the database signs nobody in.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

fn argon() -> argon2::Argon2<'static> {
    // Argon2id with the OWASP minimum (19 MiB, 2 passes, 1 lane).
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19 * 1024, 2, 1, None).expect("argon2 parameters"),
    )
}

/// A password's Argon2id hash (PHC string).
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(anyhow!(
            "a password needs at least {MIN_PASSWORD} characters"
        ));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow!("salt: {e}"))?;
    Ok(argon()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow!("hashing the password: {e}"))?
        .to_string())
}

/// A hash that no password matches, verified when an account is unknown so that unknown and known
/// e-mails take the same time.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").expect("hash"))
}

pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let h: &str = match hash {
        Some(h) => h,
        None => decoy_hash(),
    };
    match PasswordHash::new(h) {
        Ok(parsed) => {
            argon()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
                && hash.is_some()
        }
        Err(_) => false,
    }
}

/// Why a sign-in was refused.
#[derive(Debug)]
pub enum SignIn {
    Ok(Account),
    /// Wrong e-mail or password (never says which).
    Wrong,
    /// Too many failures: locked for this many more seconds.
    Locked(i64),
    /// Too many attempts from one address.
    Throttled,
}

/// Attempts per client address in the current minute.
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<String, (i64, u32)>>);

impl Throttle {
    pub fn allow(&self, who: &str, now: i64) -> bool {
        let mut m = self.0.lock().expect("throttle");
        if m.len() > 100_000 {
            m.retain(|_, (minute, _)| *minute == now / 60);
        }
        let e = m.entry(who.to_string()).or_insert((now / 60, 0));
        if e.0 != now / 60 {
            *e = (now / 60, 0);
        }
        e.1 += 1;
        e.1 <= ATTEMPTS_PER_MINUTE
    }
}

/// Checks an e-mail and password, with the account lockout.
pub fn sign_in(db: &Db, email: &str, password: &str, at: i64) -> Result<SignIn> {
    let email = email.trim().to_ascii_lowercase();
    let (failures, last) = db.failures(&email, at - LOCK_WINDOW)?;
    if failures >= LOCK_AFTER {
        return Ok(SignIn::Locked(last + LOCK_WINDOW - at));
    }
    let account = db.account(&email)?;
    let hash = account
        .as_ref()
        .filter(|a| !a.disabled)
        .and_then(|a| a.password.as_deref());
    if verify_password(hash, password) {
        let a = account.expect("verified against an account's hash");
        db.clear_failures(&email)?;
        return Ok(SignIn::Ok(a));
    }
    db.add_failure(&email, at)?;
    Ok(SignIn::Wrong)
}

/// A record to write, and where to say whether it was written.
type Line = (
    (i64, String, String, String),
    mpsc::SyncSender<Result<(), String>>,
);

/// Writes the access log from one thread, committing every waiting record in one transaction;
/// each read waits for its record to be committed before anything is shown.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Line>,
}

impl AuditWriter {
    pub fn start(db: Arc<Db>) -> AuditWriter {
        let (tx, rx) = mpsc::channel::<Line>();
        std::thread::Builder::new()
            .name("audit".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < 1000
                        && let Ok(more) = rx.try_recv()
                    {
                        batch.push(more);
                    }
                    let lines: Vec<_> = batch.iter().map(|l| l.0.clone()).collect();
                    let result = db.audit(&lines).map_err(|e| e.to_string());
                    for (_, reply) in batch {
                        let _ = reply.send(result.clone());
                    }
                }
            })
            .expect("starting the audit writer");
        AuditWriter { tx }
    }

    /// Writes one record and waits until it is committed.
    pub fn write(&self, viewer: &str, action: &str, subject: &str) -> Result<()> {
        let (reply, done) = mpsc::sync_channel(1);
        self.tx
            .send(((now(), viewer.into(), action.into(), subject.into()), reply))
            .map_err(|_| anyhow!("the audit writer stopped"))?;
        done.recv()
            .map_err(|_| anyhow!("the audit writer stopped"))?
            .map_err(|e| anyhow!("{e}"))
    }
}

impl app::policy::AccessLog for AuditWriter {
    fn audit(&mut self, viewer: &str, action: &str, subject: &str) -> Result<()> {
        self.write(viewer, action, subject)
    }
}
