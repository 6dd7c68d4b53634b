//! Fuzzes the mail connector on an mbox file (and the same bytes as one Maildir message): it
//! never panics, and reading stops at the end of each message's headers in a Maildir.
#![no_main]

use connectors::mail::{MailFormat, MailOptions, MailSource};
use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{drain, ids, scratch, write_input};

fuzz_target!(|data: &[u8]| {
    let opts = MailOptions {
        include_lists: data.len() % 2 == 0,
        include_automated: data.len() % 3 == 0,
    };
    let mut mbox = b"From fuzz@example.org Mon Jan  1 00:00:00 2024\n".to_vec();
    mbox.extend_from_slice(data);
    let path = write_input("fuzz.mbox", &mbox);
    if let Ok(mut src) = MailSource::open(
        &path,
        Some(MailFormat::Mbox),
        connectors::Directory::default(),
        ids(),
        opts,
    ) {
        drain(&mut src);
    }
    let md = scratch().join("maildir");
    let _ = std::fs::remove_dir_all(&md);
    std::fs::create_dir_all(md.join("cur")).expect("maildir");
    std::fs::write(md.join("cur/1:2,S"), data).expect("message");
    if let Ok(mut src) = MailSource::open(
        &md,
        Some(MailFormat::Maildir),
        connectors::Directory::default(),
        ids(),
        opts,
    ) {
        drain(&mut src);
        assert!(src.header_bytes() <= data.len() as u64 + 8192);
    }
});
