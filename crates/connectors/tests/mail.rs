//! The mail connector on the real fixtures (../shared/data/formats): counts equal to Python's
//! `mailbox` + `email` reading the same files (tests/reference), headers only, and what a
//! workspace stores from them.

use connectors::Directory;
use connectors::mail::{MailFormat, MailOptions, MailSource};
use ingest::{Cell, RecordSource};
use std::path::{Path, PathBuf};

fn formats() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/formats")
}

fn ids() -> connectors::Ids {
    Box::new(|s: &str| {
        let h = blake3_like(s);
        (h & ((1 << 62) - 1)) as i64
    })
}

/// A stand-in for the workspace's keyed hash (FNV-1a), enough for tests that need stable ids.
fn blake3_like(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn drain(path: &Path, format: MailFormat, opts: MailOptions) -> (MailSource, Vec<Vec<Cell>>, u64) {
    let mut src = MailSource::open(path, Some(format), Directory::default(), ids(), opts).unwrap();
    let mut rows = Vec::new();
    let mut problems = 0;
    let mut cells = Vec::new();
    loop {
        match src.next_record(&mut cells) {
            Ok(None) => break,
            Ok(Some(_)) => rows.push(cells.clone()),
            Err(_) => problems += 1,
        }
    }
    (src, rows, problems)
}

#[test]
fn counts_equal_pythons_on_every_fixture() {
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("reference/mail_counts.json")).unwrap();
    let everything = MailOptions {
        include_lists: true,
        include_automated: true,
    };
    for (name, expected) in reference.as_object().unwrap() {
        let path = formats().join(name);
        let format = if path.is_dir() {
            MailFormat::Maildir
        } else {
            MailFormat::Mbox
        };
        let (src, _, _) = drain(&path, format, everything);
        let got = serde_json::to_value(src.stats()).unwrap();
        assert_eq!(&got, expected, "{name}");
    }
}

#[test]
fn maildir_files_are_read_to_the_end_of_their_headers_only() {
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("cur");
    std::fs::create_dir_all(&cur).unwrap();
    // A body that no parser would accept, a megabyte long.
    let mut message = b"From: Ann <ann@corp.com>\r\nTo: bo@corp.com\r\nSubject: secret plans\r\n\
Date: Tue, 3 Mar 2020 10:00:00 +0100\r\nMessage-ID: <1@corp.com>\r\n\r\n"
        .to_vec();
    message.extend(std::iter::repeat_n(0xFFu8, 1 << 20));
    std::fs::write(cur.join("1:2,S"), &message).unwrap();
    let (src, rows, problems) = drain(dir.path(), MailFormat::Maildir, MailOptions::default());
    assert_eq!((rows.len(), problems), (1, 0));
    assert!(
        src.header_bytes() < 16 * 1024,
        "read {} bytes",
        src.header_bytes()
    );
    let text = format!("{rows:?}");
    assert!(
        !text.contains("secret"),
        "the subject never reaches a record"
    );
    assert_eq!(rows[0][connectors::col::ROLE], Cell::Str("to".into()));
    assert_eq!(
        rows[0][connectors::col::TIME],
        Cell::Str("2020-03-03T09:00:00+00:00".into())
    );
}

#[test]
fn lists_and_automated_mail_are_left_out_unless_asked_for() {
    let lkml = formats().join("maildir/notmuch/lkml");
    let (_, by_default, skipped) = drain(&lkml, MailFormat::Maildir, MailOptions::default());
    let (_, with_lists, _) = drain(
        &lkml,
        MailFormat::Maildir,
        MailOptions {
            include_lists: true,
            ..Default::default()
        },
    );
    assert!(skipped >= 208, "{skipped}");
    assert!(by_default.len() < 20, "{}", by_default.len());
    assert!(with_lists.len() > 1000, "{}", with_lists.len());
    // Replies point at what they answer.
    let replies = with_lists
        .iter()
        .filter(|r| r[connectors::col::IN_REPLY_TO] != Cell::Null)
        .count();
    assert!(replies > 900, "{replies}");
}

#[test]
fn every_fixture_reads_without_a_panic_and_problems_are_listed() {
    for (path, format) in [
        (formats().join("maildir/notmuch"), MailFormat::Maildir),
        (
            formats().join("mbox/grimoirelab-perceval/mbox/mbox_no_fields.mbox"),
            MailFormat::Mbox,
        ),
        (
            formats().join("mbox/grimoirelab-perceval/mbox/mbox_unixfrom_encoding.mbox"),
            MailFormat::Mbox,
        ),
    ] {
        let mut src = MailSource::open(
            &path,
            Some(format),
            Directory::default(),
            ids(),
            MailOptions::default(),
        )
        .unwrap();
        let mut cells = Vec::new();
        let mut reasons = Vec::new();
        loop {
            match src.next_record(&mut cells) {
                Ok(None) => break,
                Ok(Some(_)) => {}
                Err(ingest::Problem::Reject(e) | ingest::Problem::Skip(e)) => {
                    assert!(!e.to_string().contains('\n'), "one line: {e}");
                    assert!(e.to_string().contains(&e.file.display().to_string()));
                    reasons.push(e.reason);
                }
            }
        }
        assert!(src.messages() > 0, "{}", path.display());
        // Every message is accounted for: none of this archive's six has a To, so each is
        // left out for it, named.
        if path.ends_with("mbox_no_fields.mbox") {
            assert_eq!(reasons, vec!["no_recipient_kept"; 6]);
        }
    }
}

#[test]
fn pipermail_senders_are_read_and_list_posts_without_recipients_are_skipped() {
    let path = formats().join("mbox/grimoirelab-perceval/pipermail/pipermail_2015_november.mbox");
    let opts = MailOptions {
        include_lists: true,
        include_automated: true,
    };
    let mut src = MailSource::open(&path, None, Directory::default(), ids(), opts).unwrap();
    let mut cells = Vec::new();
    let mut reasons = Vec::new();
    loop {
        match src.next_record(&mut cells) {
            Ok(None) => break,
            Ok(Some(_)) => panic!("a list post has no recipient to keep"),
            Err(ingest::Problem::Reject(e)) => panic!("rejected: {e}"),
            Err(ingest::Problem::Skip(e)) => reasons.push(e.reason),
        }
    }
    assert_eq!(reasons, vec!["no_recipient_kept"; 4]);
}
