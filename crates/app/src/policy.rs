//! The one place that decides who sees what, and that writes the access log.
//!
//! - **Audiences.** An admin manages data, settings and grants and sees identities; an identified
//!   analyst sees the org and people by the people file's ids; an analyst sees the org with
//!   pseudonyms; a leader (linked to one person) sees their own mirror and their team's
//!   aggregates when the team is at least the minimum group size; a member (linked to one person)
//!   sees only their own mirror. A viewer with no grant is an analyst. Roles are stored as text in the workspace and parsed here only.
//! - **Naming.** Identities (ids, names) only for admins and identified analysts; pseudonyms for
//!   everyone else, in every table, view, export and report.
//! - **Small groups.** One minimum group size per workspace, set at `init` (default 5), raised
//!   but never lowered, by an admin only. A viewer may ask for a larger minimum, never a smaller
//!   one. Which columns name people and which carry a group size is declared once per table
//!   ([`TableSchema`]) and applied to every export.
//! - **Audit first.** Every person-level read and every export is recorded before the data
//!   leaves; if the record cannot be written the read fails. Refused attempts are recorded too.

use anyhow::{Result, bail};
use store::{SqliteStore, Store};

/// The minimum group size of a new workspace.
pub const DEFAULT_MIN_GROUP: usize = 5;
const MIN_GROUP_KEY: &str = "min_group";

/// What a viewer may do and see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Manages data, settings and grants; sees identities.
    Admin,
    /// Sees the org and people by the people file's ids.
    Identified,
    /// Sees the org with pseudonyms.
    Analyst,
    /// Sees their own mirror and the aggregates of the team they lead, when the team is at least
    /// the minimum group size (the person's pseudonym).
    Leader(String),
    /// Sees their own mirror only (the person's pseudonym).
    Member(String),
}

impl Role {
    /// The stored form.
    pub fn as_stored(&self) -> String {
        match self {
            Role::Admin => "admin".into(),
            Role::Identified => "identified".into(),
            Role::Analyst => "pseudonymous".into(),
            Role::Leader(p) => format!("leader:{p}"),
            Role::Member(p) => format!("member:{p}"),
        }
    }

    pub fn parse(text: &str) -> Result<Role> {
        Ok(match text {
            "admin" => Role::Admin,
            "identified" => Role::Identified,
            "pseudonymous" | "analyst" => Role::Analyst,
            _ => match (text.strip_prefix("member:"), text.strip_prefix("leader:")) {
                (Some(p), _) if !p.is_empty() => Role::Member(p.to_string()),
                (_, Some(p)) if !p.is_empty() => Role::Leader(p.to_string()),
                _ => bail!("unknown access role `{text}` in the workspace"),
            },
        })
    }
}

/// A refusal by the policy: the viewer may not do this. Front ends map it to "forbidden".
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// A table's people and group columns, for naming and suppression.
#[derive(Clone, Copy, Debug)]
pub struct TableSchema {
    pub name: &'static str,
    /// Columns holding a person index.
    pub person_columns: &'static [&'static str],
    /// The column with the size of the group a row describes, if any.
    pub group_size: Option<&'static str>,
    /// Columns left empty when the row's group is smaller than the minimum.
    pub suppressed: &'static [&'static str],
    /// Rows about a group under the minimum are left out whole (true), or keep their row with
    /// the `suppressed` cells emptied (false).
    pub drop_small: bool,
}

/// A table whose rows name people only (no group figures).
const fn people_only(name: &'static str) -> TableSchema {
    TableSchema {
        name,
        person_columns: mirror::tables::PERSON_COLUMNS,
        group_size: None,
        suppressed: &[],
        drop_small: false,
    }
}

/// A table with rows about groups of `size` people.
const fn about_groups(
    name: &'static str,
    size: &'static str,
    suppressed: &'static [&'static str],
    drop_small: bool,
) -> TableSchema {
    TableSchema {
        group_size: Some(size),
        suppressed,
        drop_small,
        ..people_only(name)
    }
}

/// Every table a viewer can export, and how the policy treats it.
pub const TABLES: &[TableSchema] = &[
    people_only("people"),
    people_only("dyads"),
    people_only("inferred_managers"),
    // A small coalition's members are not named, nor its figures shown.
    about_groups("groups", "members", &["value", "person"], false),
    about_groups(
        "leaders",
        "team_size",
        &[
            "style",
            "directive_ratio",
            "autonomy",
            "airtime",
            "reciprocity",
            "leaderfulness",
            "position",
        ],
        false,
    ),
    people_only("mirrors"),
    // Group findings about a group under the minimum are left out whole.
    about_groups("findings", "group_size", &[], true),
    people_only("pairs"),
    people_only("latencies"),
];

/// The schema of an exportable table.
pub fn schema(table: &str) -> Result<&'static TableSchema> {
    TABLES.iter().find(|t| t.name == table).ok_or_else(|| {
        anyhow::anyhow!(
            "no table `{table}`; choose one of {}, or graph",
            TABLES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
        )
    })
}

/// Where the access log is written: the workspace's own log, or a server's database. A read is
/// refused when its record cannot be written.
pub trait AccessLog {
    fn audit(&mut self, viewer: &str, action: &str, subject: &str) -> Result<()>;
}

impl AccessLog for SqliteStore {
    fn audit(&mut self, viewer: &str, action: &str, subject: &str) -> Result<()> {
        Ok(Store::audit(self, viewer, action, subject)?)
    }
}

/// The workspace's minimum group size.
pub fn min_group(store: &SqliteStore) -> Result<usize> {
    match store.setting(MIN_GROUP_KEY)? {
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("workspace setting min_group is not a number: {v}")),
        None => Ok(DEFAULT_MIN_GROUP),
    }
}

/// The policy in force for one viewer of one workspace.
#[derive(Clone, Debug)]
pub struct Policy {
    pub viewer: String,
    pub role: Role,
    /// The workspace's minimum group size.
    pub min_group: usize,
    /// The session holds the identity key (identities can be read at all).
    pub keyed: bool,
}

impl Policy {
    /// The viewer's role and the workspace's settings.
    pub fn load(store: &SqliteStore, viewer: &str) -> Result<Policy> {
        let role = match store.role(viewer)? {
            Some(r) => Role::parse(&r)?,
            None => Role::Analyst,
        };
        Ok(Policy {
            viewer: viewer.to_string(),
            role,
            min_group: min_group(store)?,
            keyed: store.has_identities(),
        })
    }

    /// The policy of a viewer whose role is kept outside the workspace (a server's account).
    pub fn for_account(store: &SqliteStore, viewer: &str, role: Role) -> Result<Policy> {
        Ok(Policy {
            viewer: viewer.to_string(),
            role,
            min_group: min_group(store)?,
            keyed: store.has_identities(),
        })
    }

    /// Takes a narrower role for this session (an admin previewing what an analyst sees, or
    /// writing a pseudonymous report to share); never a wider one.
    pub fn narrow(&mut self, to: Role) -> Result<()> {
        let rank = |r: &Role| match r {
            Role::Admin => 3,
            Role::Identified => 2,
            Role::Analyst => 1,
            Role::Leader(_) | Role::Member(_) => 0,
        };
        if rank(&to) > rank(&self.role) || (rank(&to) == rank(&self.role) && to != self.role) {
            return Err(Refused(format!(
                "{} may view as {} at most, not as {}",
                self.viewer,
                self.role.as_stored(),
                to.as_stored()
            ))
            .into());
        }
        self.role = to;
        Ok(())
    }

    /// Names people by the people file's ids and names.
    pub fn identities(&self) -> bool {
        self.keyed && matches!(self.role, Role::Admin | Role::Identified)
    }

    /// May change data, settings and grants. In a workspace made before admins existed, an
    /// identified viewer may while nobody is admin.
    pub fn manages(&self, store: &SqliteStore) -> Result<bool> {
        Ok(match self.role {
            Role::Admin => true,
            Role::Identified => !store.roles()?.iter().any(|r| r.1 == "admin"),
            _ => false,
        })
    }

    /// Sees the whole organization (org views, findings, exports).
    pub fn sees_org(&self) -> bool {
        !matches!(self.role, Role::Member(_) | Role::Leader(_))
    }

    /// Records a look at the team led by `leader` (a pseudonym) of `size` people: for viewers who
    /// see the organization, or that leader; never for a team under the minimum group size.
    pub fn read_team(&self, store: &mut dyn AccessLog, leader: &str, size: usize) -> Result<()> {
        self.may_see_team(store, leader)?;
        if size < self.min_group {
            return self.refuse(
                store,
                "team view",
                leader,
                format!(
                    "the team has fewer than {} people (the workspace's minimum group size): its figures are not shown",
                    self.min_group
                ),
            );
        }
        self.record(store, "team view", leader)
    }

    /// The minimum group size for a view: the workspace's, or larger if the viewer asks (a
    /// request for less is refused, and recorded).
    pub fn group_floor(&self, store: &mut dyn AccessLog, asked: Option<usize>) -> Result<usize> {
        match asked {
            Some(m) if m < self.min_group => self.refuse(
                store,
                "lower the minimum group size",
                &m.to_string(),
                format!(
                    "the workspace's minimum group size is {}; a view may raise it, not lower it",
                    self.min_group
                ),
            )
            .map(|()| m),
            Some(m) => Ok(m),
            None => Ok(self.min_group),
        }
    }

    /// Refuses (and records) a look at a team before it is looked up, unless the viewer sees
    /// the organization or is that team's leader.
    pub fn may_see_team(&self, store: &mut dyn AccessLog, leader: &str) -> Result<()> {
        let allowed = match &self.role {
            Role::Leader(me) => me == leader,
            Role::Member(_) => false,
            _ => true,
        };
        if allowed {
            return Ok(());
        }
        self.refuse(
            store,
            "team view",
            leader,
            format!("{} may not see the team of {leader}", self.viewer),
        )
    }

    /// Records the target of paths to a person; a member or leader may ask only for people
    /// their own mirror already names (`named`), since the answer shows the target's ties.
    pub fn read_target(&self, store: &mut dyn AccessLog, target: &str, named: bool) -> Result<()> {
        if matches!(self.role, Role::Member(_) | Role::Leader(_)) && !named {
            return self.refuse(
                store,
                "paths target",
                target,
                format!(
                    "{} may ask for paths only to people their own mirror names",
                    self.viewer
                ),
            );
        }
        self.record(store, "paths target", target)
    }

    /// Refuses (and records the attempt) unless the viewer manages the workspace.
    pub fn require_manager(&self, store: &mut SqliteStore, action: &str) -> Result<()> {
        if self.manages(store)? {
            return Ok(());
        }
        self.refuse(
            store,
            action,
            "",
            format!(
                "{} may not {action}: only an admin of the workspace may",
                self.viewer
            ),
        )
    }

    /// Refuses (and records the attempt) unless the viewer is an admin (a server's account
    /// pages: data, accounts, the access log, settings).
    pub fn require_admin(&self, store: &mut dyn AccessLog, action: &str) -> Result<()> {
        if self.role == Role::Admin {
            return Ok(());
        }
        self.refuse(
            store,
            action,
            "",
            format!(
                "{} may not do this: only an admin may ({action})",
                self.viewer
            ),
        )
    }

    /// A viewer's own journal (read, add, export, delete): only a member or leader, only their
    /// own, and never shown to anyone else or used in the organization's results. The record
    /// names the action, never an entry.
    pub fn own_journal(&self, store: &mut dyn AccessLog, action: &str) -> Result<String> {
        match &self.role {
            Role::Member(me) | Role::Leader(me) => {
                self.record(store, action, me)?;
                Ok(me.clone())
            }
            _ => self
                .refuse(
                    store,
                    action,
                    "",
                    format!(
                        "{} is not linked to a person of the organization, so keeps no journal",
                        self.viewer
                    ),
                )
                .map(|()| String::new()),
        }
    }

    /// People's e-mail addresses, to send each their own invitation: viewers who see identities
    /// only; the record says how many.
    pub fn read_addresses(&self, store: &mut dyn AccessLog, count: usize) -> Result<()> {
        if self.identities() {
            return self.record(store, "read addresses for invitations", &count.to_string());
        }
        self.refuse(
            store,
            "read addresses for invitations",
            &count.to_string(),
            format!(
                "{} does not see identities (or the identity key is not here), so cannot address invitations",
                self.viewer
            ),
        )
    }

    /// Refuses (and records the attempt) unless the viewer sees the whole organization.
    pub fn require_org(&self, store: &mut dyn AccessLog, action: &str) -> Result<()> {
        if self.sees_org() {
            return Ok(());
        }
        self.refuse(
            store,
            action,
            "",
            format!(
                "{} may see only their own mirror, not {action}",
                self.viewer
            ),
        )
    }

    /// A survey campaign's aggregate results: for leaders and for viewers who see the
    /// organization, never for members (recorded either way). Which groups are shown is the
    /// minimum group size's decision ([`Policy::min_group`]); raw answers are shown to nobody.
    pub fn read_survey_results(&self, store: &mut dyn AccessLog, campaign: &str) -> Result<()> {
        if let Role::Member(_) = self.role {
            return self.refuse(
                store,
                "survey results",
                campaign,
                format!(
                    "{} may see only their own mirror, not a survey's aggregates",
                    self.viewer
                ),
            );
        }
        self.record(store, "survey results", campaign)
    }

    /// Records a person-level read of `pseudonym` (refusing a member who asks for someone else),
    /// before anything is shown. A failed record fails the read.
    pub fn read_person(
        &self,
        store: &mut dyn AccessLog,
        action: &str,
        pseudonym: &str,
    ) -> Result<()> {
        if let Role::Member(me) | Role::Leader(me) = &self.role
            && me != pseudonym
        {
            return self.refuse(
                store,
                action,
                pseudonym,
                format!("{} may see only their own mirror", self.viewer),
            );
        }
        self.record(store, action, pseudonym)
    }

    /// Records an access before the data leaves; a failed record fails the access.
    pub fn record(&self, store: &mut dyn AccessLog, action: &str, subject: &str) -> Result<()> {
        store.audit(&self.viewer, action, subject).map_err(|e| {
            anyhow::anyhow!("the access log could not be written, so nothing is shown: {e}")
        })
    }

    fn refuse(
        &self,
        store: &mut dyn AccessLog,
        action: &str,
        subject: &str,
        why: String,
    ) -> Result<()> {
        self.record(store, &format!("refused: {action}"), subject)?;
        Err(Refused(why).into())
    }

    /// Raises the workspace's minimum group size (admins only; never lowers it).
    pub fn raise_min_group(&mut self, store: &mut SqliteStore, to: usize) -> Result<()> {
        self.require_manager(store, "change the minimum group size")?;
        if to < self.min_group {
            return self.refuse(
                store,
                "lower the minimum group size",
                &to.to_string(),
                format!(
                    "the minimum group size is {}; it can be raised, never lowered",
                    self.min_group
                ),
            );
        }
        store.set_setting(MIN_GROUP_KEY, &to.to_string(), &self.viewer)?;
        self.min_group = to;
        Ok(())
    }

    /// A new workspace: its creator is its admin, and its minimum group size (at least 2) is set.
    pub fn init_workspace(store: &mut SqliteStore, creator: &str, min_group: usize) -> Result<()> {
        if min_group < 2 {
            bail!("the minimum group size must be at least 2");
        }
        store.grant(creator, &Role::Admin.as_stored(), creator)?;
        store.set_setting(MIN_GROUP_KEY, &min_group.to_string(), creator)?;
        Ok(())
    }

    /// Gives `who` a role (admins only; recorded in the access log). A member is linked to one
    /// of the workspace's people (`pseudonyms`).
    pub fn grant(
        &self,
        store: &mut SqliteStore,
        who: &str,
        role: &Role,
        pseudonyms: &[String],
    ) -> Result<()> {
        self.require_manager(store, "grant roles")?;
        if let Role::Member(p) | Role::Leader(p) = role
            && !pseudonyms.iter().any(|x| x == p)
        {
            bail!("no person with pseudonym `{p}` to link {who} to");
        }
        store.grant(who, &role.as_stored(), &self.viewer)?;
        Ok(())
    }
}
