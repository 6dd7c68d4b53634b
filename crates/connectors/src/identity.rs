//! Who an address, a display name or a chat user is: matched to the people file, or classified
//! (external, a list or shared mailbox, automated) and kept out of person-level results.
//!
//! Rules, in order:
//! 1. An address is compared case-insensitively with the people file's e-mail addresses (every
//!    address a person has). For the domains that ignore dots and `+tags` in the local part
//!    (gmail.com, googlemail.com), `ann.b+x@gmail.com` matches `annb@gmail.com`; elsewhere a
//!    `+tag` is dropped (`ann+lists@corp.com` matches `ann@corp.com`) but dots count.
//! 2. An address whose local part names a role, not a person (`noreply`, `no-reply`,
//!    `mailer-daemon`, `postmaster`, `notifications`, `info`, `support`, `help`, `admin`,
//!    `team`, `all`, `everyone`, `announce`, `list`, `staff`, `jobs`, `sales`, `office`, starting
//!    with `all-`, `everyone-`, `announce-`, `noreply`, `no-reply`, or ending in `-list`, `-l`,
//!    `-all`, `-team`, `-announce`, `-bounces`, `-owner`, `-request`) is a
//!    **group** (a distribution list or shared mailbox), unless the people file names it.
//! 3. With a people file: an address on a domain none of its people use is **external**; an
//!    unknown address on one of their domains is an **unknown** colleague (kept, as a person seen
//!    only in interactions). Without a people file (no domains known) every other address is an
//!    unknown colleague.
//! 4. A display name alone (chat exports without e-mail) matches a person whose name is the same,
//!    case- and space-insensitively, when exactly one person has it.
//!
//! Unmatched addresses and names are counted, for the ingest report.

use rustc_hash::{FxHashMap, FxHashSet};
use store::PeopleTable;

/// Who an address or name is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// A person of the people file: the address ingest finds them by.
    Person(String),
    /// An address on the organization's domains (or any address, without a people file) that
    /// the people file does not list: kept, as someone seen only in interactions.
    Unknown(String),
    /// An address on a domain none of the organization's people use.
    External(String),
    /// A distribution list or a shared mailbox.
    Group(String),
}

impl Who {
    /// The address or id to give ingest, for people kept in person-level results.
    pub fn person(&self) -> Option<&str> {
        match self {
            Who::Person(a) | Who::Unknown(a) => Some(a),
            Who::External(_) | Who::Group(_) => None,
        }
    }

    /// The reason a left-out address is left out.
    pub fn reason(&self) -> &'static str {
        match self {
            Who::Person(_) | Who::Unknown(_) => "",
            Who::External(_) => "external_address",
            Who::Group(_) => "group_address",
        }
    }
}

const ROLE_LOCALS: &[&str] = &[
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "mailer-daemon",
    "postmaster",
    "notifications",
    "notification",
    "info",
    "support",
    "help",
    "admin",
    "team",
    "all",
    "everyone",
    "announce",
    "list",
    "staff",
    "jobs",
    "sales",
    "office",
];
const ROLE_SUFFIXES: &[&str] = &[
    "-list",
    "-l",
    "-all",
    "-team",
    "-announce",
    "-bounces",
    "-owner",
    "-request",
];
const ROLE_PREFIXES: &[&str] = &["all-", "everyone-", "announce-", "noreply", "no-reply"];
const DOTLESS_DOMAINS: &[&str] = &["gmail.com", "googlemail.com"];

/// The people file's addresses and names, and what did not match.
#[derive(Default)]
pub struct Directory {
    by_address: FxHashMap<String, String>,
    /// Lower-cased name → the person's address, or `None` when two people share it.
    by_name: FxHashMap<String, Option<String>>,
    domains: FxHashSet<String>,
    unmatched: FxHashMap<String, u64>,
}

/// The comparable form of an address: lower case, `+tag` dropped, dots dropped where the domain
/// ignores them.
pub fn normalize(address: &str) -> Option<String> {
    let a = address.trim().trim_matches(|c| c == '<' || c == '>');
    let (local, domain) = a.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.contains(char::is_whitespace) {
        return None;
    }
    let domain = domain.to_ascii_lowercase();
    let mut local = local.to_ascii_lowercase();
    if let Some((base, _tag)) = local.split_once('+')
        && !base.is_empty()
    {
        local = base.to_string();
    }
    if DOTLESS_DOMAINS.contains(&domain.as_str()) {
        local.retain(|c| c != '.');
    }
    Some(format!("{local}@{domain}"))
}

fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn is_group_local(local: &str) -> bool {
    ROLE_LOCALS.contains(&local)
        || ROLE_SUFFIXES.iter().any(|s| local.ends_with(s))
        || ROLE_PREFIXES.iter().any(|s| local.starts_with(s))
}

impl Directory {
    /// The directory of a workspace's people (an empty one when no people file was ingested).
    pub fn from_people(people: &PeopleTable) -> Directory {
        let mut d = Directory::default();
        for p in &people.people {
            for e in &p.person.emails {
                if let Some(n) = normalize(e) {
                    if let Some((_, domain)) = n.rsplit_once('@') {
                        d.domains.insert(domain.to_string());
                    }
                    d.by_address.insert(n, e.clone());
                }
            }
            // Every named person counts for uniqueness, with an address or not: a name two
            // people share names nobody.
            if let Some(name) = &p.person.name {
                let first = p.person.emails.first().cloned();
                d.by_name
                    .entry(name_key(name))
                    .and_modify(|v| *v = None)
                    .or_insert(first);
            }
        }
        d
    }

    /// Who `address` is (`display` is the name shown with it, if any).
    pub fn resolve(&mut self, address: &str, display: Option<&str>) -> Who {
        let Some(n) = normalize(address) else {
            return match display.and_then(|d| self.by_name(d)) {
                Some(a) => Who::Person(a),
                None => {
                    *self
                        .unmatched
                        .entry(address.trim().to_lowercase())
                        .or_default() += 1;
                    Who::Unknown(address.trim().to_string())
                }
            };
        };
        if let Some(a) = self.by_address.get(&n) {
            return Who::Person(a.clone());
        }
        let (local, domain) = n.rsplit_once('@').expect("normalized has @");
        *self.unmatched.entry(n.clone()).or_default() += 1;
        if is_group_local(local) {
            return Who::Group(n);
        }
        if !self.domains.is_empty() && !self.domains.contains(domain) {
            return Who::External(n);
        }
        Who::Unknown(n)
    }

    /// The person a display name alone names, when exactly one person has it.
    pub fn by_name(&self, name: &str) -> Option<String> {
        self.by_name.get(&name_key(name)).cloned().flatten()
    }

    /// Whether the people file gave any addresses.
    pub fn knows_domains(&self) -> bool {
        !self.domains.is_empty()
    }

    /// Addresses (or names) that matched nobody, most frequent first.
    pub fn unmatched(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .unmatched
            .iter()
            .map(|(a, n)| (a.clone(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::StoredPerson;
    use vocab::{Person, PersonIdx};

    fn people() -> PeopleTable {
        let person = |i: u32, name: &str, emails: &[&str]| StoredPerson {
            idx: PersonIdx(i),
            pseudo: format!("p{i}"),
            person: Person {
                id: format!("E{i}"),
                name: Some(name.into()),
                emails: emails.iter().map(|e| e.to_string()).collect(),
                ..Default::default()
            },
            registered: true,
        };
        PeopleTable::from_people(vec![
            person(0, "Ann Quist", &["Ann.Quist@corp.com", "annq@gmail.com"]),
            person(1, "Bo Rell", &["bo@corp.com"]),
            person(2, "Bo  rell", &["bo.rell@corp.com"]),
        ])
    }

    #[test]
    fn addresses_match_by_the_rules_and_the_rest_is_classified() {
        let mut d = Directory::from_people(&people());
        let who = |d: &mut Directory, a: &str| d.resolve(a, None);
        assert_eq!(
            who(&mut d, "ann.quist@CORP.com"),
            Who::Person("Ann.Quist@corp.com".into())
        );
        assert_eq!(
            who(&mut d, "<ann.quist+lists@corp.com>"),
            Who::Person("Ann.Quist@corp.com".into())
        );
        assert_eq!(
            who(&mut d, "a.n.n.q+x@googlemail.com").person(),
            None,
            "another domain"
        );
        assert_eq!(
            who(&mut d, "a.n.n.q@gmail.com"),
            Who::Person("annq@gmail.com".into())
        );
        // Dots count outside the dotless domains.
        assert_eq!(
            who(&mut d, "annquist@corp.com"),
            Who::Unknown("annquist@corp.com".into())
        );
        assert_eq!(
            who(&mut d, "someone@vendor.org"),
            Who::External("someone@vendor.org".into())
        );
        assert_eq!(
            who(&mut d, "all-staff@corp.com"),
            Who::Group("all-staff@corp.com".into())
        );
        assert_eq!(
            who(&mut d, "noreply@corp.com"),
            Who::Group("noreply@corp.com".into())
        );
        assert_eq!(
            who(&mut d, "dev-announce@corp.com").reason(),
            "group_address"
        );
        // A name alone: only when one person has it.
        assert_eq!(d.by_name("ann   QUIST"), Some("Ann.Quist@corp.com".into()));
        assert_eq!(d.by_name("Bo Rell"), None, "two people share it");
        assert_eq!(d.unmatched()[0].1, 1);
        // Without a people file, nobody is external.
        let mut empty = Directory::default();
        assert_eq!(who(&mut empty, "x@y.org"), Who::Unknown("x@y.org".into()));
    }
}
