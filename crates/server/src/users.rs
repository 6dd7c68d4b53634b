//! Accounts as an admin manages them, from the pages or from `orgmirror user`.

use crate::db::{Account, Db};
use crate::{Config, auth};
use anyhow::{Result, bail};

/// The roles an account may have.
pub const ROLES: &[&str] = &["admin", "analyst", "leader", "member"];

/// Adds an account linked to at most one person (named by id, e-mail or pseudonym; stored as the
/// pseudonym) and makes its one-time invitation; returns the account and the invitation token.
pub fn add(
    db: &Db,
    config: &Config,
    by: &str,
    email: &str,
    role: &str,
    person: Option<&str>,
) -> Result<(Account, String)> {
    if !ROLES.contains(&role) {
        return Err(app::Refused(format!(
            "no role `{role}`: admin, analyst, leader or member"
        ))
        .into());
    }
    let person = match person.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            let session = crate::open_session(config, by, app::Role::Admin)?;
            Some(
                session
                    .pseudonym_of(p)
                    .map_err(|e| app::Refused(e.to_string()))?,
            )
        }
        None if matches!(role, "leader" | "member") => {
            return Err(app::Refused(format!("a {role} is linked to a person: name one")).into());
        }
        None => None,
    };
    let account = db
        .add_account(email, role, person.as_deref(), auth::now())
        .map_err(|e| app::Refused(e.to_string()))?;
    let token = invite(db, account.id)?;
    db.audit(&[(
        auth::now(),
        by.into(),
        "add account".into(),
        account.email.clone(),
    )])?;
    Ok((account, token))
}

/// A new invitation for an account (the old one stops working); returns its token, shown once.
pub fn invite(db: &Db, account: i64) -> Result<String> {
    let token = auth::token();
    db.add_invite(
        &auth::token_hash(&token),
        account,
        auth::now() + auth::INVITE_SECONDS,
    )?;
    Ok(token)
}

/// The account with this e-mail, or an error naming it.
pub fn find(db: &Db, email: &str) -> Result<Account> {
    match db.account(email)? {
        Some(a) => Ok(a),
        None => bail!("no account for {email}"),
    }
}

/// Sets an account's password (ends its sessions).
pub fn set_password(db: &Db, by: &str, email: &str, password: &str) -> Result<()> {
    let a = find(db, email)?;
    db.set_password(a.id, &auth::hash_password(password)?)?;
    db.audit(&[(auth::now(), by.into(), "set password".into(), a.email)])?;
    Ok(())
}

/// Disables or enables an account, or removes it.
pub fn change(db: &Db, by: &str, email: &str, action: &str) -> Result<()> {
    let a = find(db, email)?;
    match action {
        "disable" => db.set_disabled(a.id, true)?,
        "enable" => db.set_disabled(a.id, false)?,
        "remove" => {
            db.remove_account(a.id)?;
        }
        "identify" => db.set_identified(a.id, true)?,
        "unidentify" => db.set_identified(a.id, false)?,
        other => bail!("no account change `{other}`"),
    }
    db.audit(&[(auth::now(), by.into(), format!("account {action}"), a.email)])?;
    Ok(())
}
