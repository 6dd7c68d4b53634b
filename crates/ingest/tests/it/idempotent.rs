//! The same input ingested again is stored once; a run while another holds the workspace is
//! refused. Both store nothing.

use super::{PEOPLE, base, check_fails};
use store::{SqliteStore, Store};

const EVENTS: &[u8] = b"actor,recipient,time\nceo,vp@x.org,2024-01-02T10:00:00Z\n";

#[test]
fn the_same_file_ingested_twice_counts_once() {
    let mut f = base();
    let first = f.events("e.csv", EVENTS, "", false).unwrap();
    let before = f.snapshot();
    // The same bytes under another name are the same input.
    let again = f.events("copy.csv", EVENTS, "", false);
    check_fails(
        &mut f,
        again,
        &[&format!("already ingested as run {} (", first.run), "e.csv"],
        &before,
    );
    let again = f.people("people.csv", PEOPLE, "", false);
    check_fails(&mut f, again, &["already ingested as run 1"], &before);
    let rows: u64 = f.store.segments().unwrap().iter().map(|s| s.rows).sum();
    assert_eq!(rows, 1);
}

#[test]
fn a_run_is_refused_while_another_holds_the_workspace() {
    let mut f = base();
    let other = SqliteStore::open(f.store.root()).unwrap();
    let held = other.lock("aggregate").unwrap();
    let before = f.snapshot();
    let result = f.events("e.csv", EVENTS, "", false);
    check_fails(
        &mut f,
        result,
        &["workspace busy: another orgmirror is running aggregate (pid"],
        &before,
    );
    drop(held);
    f.events("e.csv", EVENTS, "", false).unwrap();
}
