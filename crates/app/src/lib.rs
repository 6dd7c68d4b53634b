//! The application core. A [`Session`] holds a workspace, the viewer and the workspace's
//! [`policy::Policy`]; every operation a front end offers (ingest, analyze, findings, a person's
//! mirror, paths to a person, exports, reports, grants, status) is a method that returns values.
//! Front ends (the `orgmirror` command line, a server) parse arguments and print; they hold no
//! analysis and no policy. Only this crate reads result tables and decides who sees what.

pub mod analyze;
pub mod calibrate;
pub mod export;
pub mod ingest;
pub mod live;
pub mod metrics;
pub mod policy;
pub mod progress;
pub mod reports;
pub mod tables;
pub mod views;

/// An ordinal as people write it (1st, 22nd, 91st, 111th), for front ends' text.
pub use mirror::profile::human_bytes;
pub use policy::{Policy, Refused, Role};
pub use progress::{Progress, Silent, Stage};
pub use report::html::ordinal;

use anyhow::{Context, Result};
use mirror::input::Org;
use std::path::Path;
use store::{SqliteStore, Store};

/// A survey question as stored: a standard question's word (`advice`, `cannot_decline`, …) or
/// the asker's own, folded to lower case with underscores.
pub fn question_word(text: &str) -> String {
    vocab::Question::parse(text).as_str().to_string()
}

/// A viewer's session over one workspace.
pub struct Session {
    store: SqliteStore,
    policy: Policy,
}

impl Session {
    /// Opens the workspace in `dir` for `viewer`, with the identity key the workspace keeps (if
    /// it keeps one).
    pub fn open(dir: &Path, viewer: &str) -> Result<Session> {
        Session::open_with(dir, viewer, None)
    }

    /// Opens the workspace with the identity key at `key` (a customer-held key outside the
    /// workspace). Without any key, everyone sees pseudonyms and people cannot be ingested.
    pub fn open_with(dir: &Path, viewer: &str, key: Option<&Path>) -> Result<Session> {
        let store = SqliteStore::open_with(dir, key)?;
        let policy = Policy::load(&store, viewer)?;
        Ok(Session { store, policy })
    }

    /// Opens the workspace for a viewer whose role is kept outside it: an account of a server,
    /// which signed the viewer in. The caller vouches for the role.
    pub fn open_as(dir: &Path, viewer: &str, role: Role, key: Option<&Path>) -> Result<Session> {
        let store = SqliteStore::open_with(dir, key)?;
        let policy = Policy::for_account(&store, viewer, role)?;
        Ok(Session { store, policy })
    }

    /// The pseudonym of a person named by id, e-mail or pseudonym (for linking a server's
    /// account; ids need a viewer who sees identities).
    pub fn pseudonym_of(&self, who: &str) -> Result<String> {
        let org = self.org()?;
        let i = self.person_index(&org, who)?;
        Ok(org.pseudonyms[i as usize].clone())
    }

    /// The first e-mail address of each person named by pseudonym (None when the people file
    /// gave none), to send them their own invitation; for viewers who see identities, recorded.
    pub fn addresses(&mut self, pseudonyms: &[String]) -> Result<Vec<Option<String>>> {
        self.policy
            .read_addresses(&mut self.store, pseudonyms.len())?;
        let org = self.org()?;
        let people = self.store.people()?;
        let index: std::collections::HashMap<&str, usize> = org
            .pseudonyms
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        Ok(pseudonyms
            .iter()
            .map(|p| {
                index
                    .get(p.as_str())
                    .and_then(|&i| people.people.get(i))
                    .and_then(|x| x.person.emails.first().cloned())
            })
            .collect())
    }

    /// Creates a workspace in `dir`; its creator is its admin.
    pub fn init(dir: &Path, viewer: &str, min_group: usize) -> Result<Session> {
        Session::init_with(dir, viewer, min_group, None)
    }

    /// Creates a workspace whose identity key is at `key` (made there, or read if it exists)
    /// instead of inside the workspace.
    pub fn init_with(
        dir: &Path,
        viewer: &str,
        min_group: usize,
        key: Option<&Path>,
    ) -> Result<Session> {
        let mut store = SqliteStore::init_with(dir, key)?;
        Policy::init_workspace(&mut store, viewer, min_group)?;
        let policy = Policy::load(&store, viewer)?;
        Ok(Session { store, policy })
    }

    /// Views this session with a narrower role than the viewer's (see [`Policy::narrow`]).
    pub fn view_as(&mut self, role: Role) -> Result<()> {
        self.policy.narrow(role)
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn viewer(&self) -> &str {
        &self.policy.viewer
    }

    pub fn root(&self) -> &Path {
        self.store.root()
    }

    /// The store, for front ends' tests and tools that check what was stored.
    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    /// Sets `who`'s role (admins only).
    pub fn grant(&mut self, who: &str, role: Role) -> Result<()> {
        let org = self.org()?;
        self.policy
            .grant(&mut self.store, who, &role, &org.pseudonyms)
    }

    /// Refuses (and records the attempt) unless the viewer manages the workspace.
    pub fn require_manager(&mut self, action: &str) -> Result<()> {
        self.policy.require_manager(&mut self.store, action)
    }

    /// Raises the workspace's minimum group size (admins only; never lowers it).
    pub fn raise_min_group(&mut self, to: usize) -> Result<()> {
        self.policy.raise_min_group(&mut self.store, to)
    }

    /// The organization as the analysis sees it (indices, pseudonyms, departments).
    pub(crate) fn org(&self) -> Result<Org> {
        Ok(mirror::org_from_people(&self.store.people()?))
    }

    /// How this viewer sees people: names for identities, pseudonyms otherwise.
    pub fn naming(&self, org: &Org) -> Result<report::Naming> {
        if self.policy.identities() {
            let people = self.store.people()?;
            let names: Vec<Option<String>> = people
                .people
                .iter()
                .map(|p| p.person.name.clone())
                .collect();
            Ok(report::Naming::new(org, Some(&names)))
        } else {
            Ok(report::Naming::new(org, None))
        }
    }

    /// A person named by pseudonym, or (for a viewer who sees identities) by id or e-mail, with or
    /// without a domain.
    pub fn person_index(&self, org: &Org, text: &str) -> Result<u32> {
        if let Some(i) = org.pseudonyms.iter().position(|p| p == text) {
            return Ok(i as u32);
        }
        let me = &self.policy.viewer;
        if self.policy.identities() {
            let people = self.store.people()?;
            if let Some(i) = people.lookup(text) {
                return Ok(i.0);
            }
            // An address without a domain (Enron's `john.lavorato`): the one person whose
            // address starts with it.
            let local = text.to_ascii_lowercase();
            let hits: Vec<u32> = people
                .people
                .iter()
                .filter(|p| {
                    p.person.emails.iter().any(|e| {
                        e.to_ascii_lowercase()
                            .split('@')
                            .next()
                            .is_some_and(|l| l == local)
                    })
                })
                .map(|p| p.idx.0)
                .collect();
            if let [one] = hits[..] {
                return Ok(one);
            }
            anyhow::bail!(
                "no person `{text}` in the workspace (give an id, an email or a pseudonym)"
            )
        }
        anyhow::bail!(
            "no person with pseudonym `{text}`; {me} sees people by pseudonym only (an admin can run `orgmirror grant {me} --role identified`)"
        )
    }

    /// A stored result table.
    pub(crate) fn load(&self, table: &str) -> Result<report::Frame> {
        let path = self
            .store
            .table_path(table)?
            .with_context(|| format!("no {table} table: run `orgmirror analyze` first"))?;
        Ok(crate::tables::read(&path)?)
    }
}
