//! Fuzzes the Slack connector on an export folder: the input's bytes up to the first NUL are
//! `users.json`, the rest one channel-day file (`channels.json` names the channel); it never
//! panics.
#![no_main]

use connectors::chat::SlackSource;
use libfuzzer_sys::fuzz_target;
use orgmirror_fuzz::{drain, ids, scratch};

fuzz_target!(|data: &[u8]| {
    let (users, day) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"[]"[..], data),
    };
    let dir = scratch().join("slack");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("general")).expect("export folder");
    std::fs::write(dir.join("users.json"), users).expect("users");
    std::fs::write(
        dir.join("channels.json"),
        br#"[{"id":"C1","name":"general","members":["U1","U2"]}]"#,
    )
    .expect("channels");
    std::fs::write(dir.join("general/2024-01-02.json"), day).expect("day");
    if let Ok(mut src) = SlackSource::open(&dir, connectors::Directory::default(), ids()) {
        drain(&mut src);
    }
});
