//! The generator as a user runs it: files, determinism, and the planted truth's shape, in the
//! full mode and in the metadata-only mode (`behaviour`: how the latter compares with real mail).

mod behaviour;

use std::collections::HashMap;
use synth::{EventFormat, GenerateConfig, Truth, generate};

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn same_seed_same_bytes_other_seed_other_org() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GenerateConfig::new(300, 30, 7);
    cfg.events = Some(40_000);
    let a = generate(&cfg, &dir.path().join("a"), &|_, _| {}).unwrap();
    let b = generate(&cfg, &dir.path().join("b"), &|_, _| {}).unwrap();
    for (fa, fb) in a.files.iter().zip(&b.files) {
        assert_eq!(read(fa), read(fb), "{} differs between runs", fa.display());
    }
    cfg.seed = 8;
    let c = generate(&cfg, &dir.path().join("c"), &|_, _| {}).unwrap();
    assert_ne!(read(&a.files[1]), read(&c.files[1]));
    // The event target is met within a reasonable margin.
    assert!(
        (30_000..=52_000).contains(&a.event_rows),
        "{} rows",
        a.event_rows
    );
}

#[test]
fn truth_names_real_people_and_every_dynamic() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GenerateConfig::new(1000, 20, 1);
    cfg.format = EventFormat::Csv;
    cfg.events = Some(60_000);
    let summary = generate(&cfg, dir.path(), &|_, _| {}).unwrap();
    assert_eq!(summary.people, 1000);
    let truth: Truth = serde_json::from_slice(&read(&dir.path().join("truth.json"))).unwrap();
    let people = std::fs::read_to_string(dir.path().join("people.csv")).unwrap();
    let ids: std::collections::HashSet<&str> = people
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 1000);
    let named = truth
        .hidden_influencers
        .iter()
        .flat_map(|h| [&h.person, &h.principal])
        .chain(
            truth
                .unbalanced_pairs
                .iter()
                .flat_map(|p| [&p.holder, &p.yielder]),
        )
        .chain(truth.leaders.iter().map(|l| &l.leader))
        .chain(truth.caretakers.iter())
        .chain(truth.bottlenecks.iter())
        .chain(truth.allies.iter().flat_map(|p| [&p.a, &p.b]))
        .chain(truth.coalitions.iter().flat_map(|c| c.members.iter()));
    for id in named {
        assert!(ids.contains(id.as_str()), "truth names unknown person {id}");
    }
    assert!(truth.hidden_influencers.len() >= 5);
    assert!(truth.unbalanced_pairs.len() >= 5);
    assert!(truth.leaders.iter().any(|l| l.style == "power_over"));
    assert!(truth.leaders.iter().any(|l| l.style == "power_with"));
    assert!(!truth.siloed_departments.is_empty());
    assert!(truth.coalitions[0].departments.len() >= 3);
    assert!(truth.caretakers.len() >= 3 && truth.bottlenecks.len() >= 3 && truth.allies.len() >= 5);
    // Roles do not overlap: nobody is both a caretaker and a bottleneck.
    assert!(
        truth
            .caretakers
            .iter()
            .all(|c| !truth.bottlenecks.contains(c))
    );
    // Events are in time order.
    let events = std::fs::read_to_string(dir.path().join("events.csv")).unwrap();
    let times: Vec<&str> = events
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

fn names(files: &[std::path::PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn metadata_only_same_seed_same_bytes_same_org_as_full_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GenerateConfig::new(300, 30, 7);
    cfg.events = Some(40_000);
    cfg.metadata_only = true;
    let a = generate(&cfg, &dir.path().join("a"), &|_, _| {}).unwrap();
    let b = generate(&cfg, &dir.path().join("b"), &|_, _| {}).unwrap();
    assert_eq!(
        names(&a.files),
        ["people.csv", "events.parquet", "truth.json"]
    );
    assert!(!dir.path().join("a/survey.csv").exists());
    assert_eq!(a.survey_answers, 0);
    for (fa, fb) in a.files.iter().zip(&b.files) {
        assert_eq!(read(fa), read(fb), "{} differs between runs", fa.display());
    }
    assert!(
        (30_000..=52_000).contains(&a.event_rows),
        "{} rows",
        a.event_rows
    );
    cfg.seed = 8;
    let c = generate(&cfg, &dir.path().join("c"), &|_, _| {}).unwrap();
    assert_ne!(read(&a.files[1]), read(&c.files[1]));
    // The same organization and cast as the full mode, other events.
    cfg.seed = 7;
    cfg.metadata_only = false;
    let full = generate(&cfg, &dir.path().join("full"), &|_, _| {}).unwrap();
    assert_eq!(read(&a.files[0]), read(&full.files[0]));
    assert_ne!(read(&a.files[1]), read(&full.files[1]));
    let truth = |p: &std::path::Path| -> Truth { serde_json::from_slice(&read(p)).unwrap() };
    let (mut meta_truth, full_truth) = (truth(&a.files[2]), truth(&full.files[3]));
    assert_eq!(meta_truth.event_rows, a.event_rows);
    meta_truth.event_rows = full_truth.event_rows;
    assert_eq!(meta_truth, full_truth);
}

#[test]
fn metadata_only_rows_carry_only_what_a_real_export_carries() {
    let g = behaviour::s_org();
    // event → (actor, time, recipients, kind, channel)
    let mut events: HashMap<u64, (u32, i64, Vec<u32>, &str, &str)> = HashMap::new();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let (mut replies, mut messages) = (0u64, 0u64);
    let mut reply_events = Vec::new();
    for r in &g.rows {
        assert!(
            matches!(
                r.kind.as_str(),
                "message" | "meeting" | "accept" | "decline"
            ),
            "{r:?}"
        );
        assert_eq!(r.speaking, None, "{r:?}");
        assert!(r.thread.is_some(), "{r:?}");
        let first = !events.contains_key(&r.event);
        let e = events.entry(r.event).or_insert((
            r.actor,
            r.time,
            Vec::new(),
            r.kind.as_str(),
            r.channel.as_str(),
        ));
        // Rows of one event agree on everything but the recipient and role.
        assert_eq!(
            (e.0, e.1, e.3, e.4),
            (r.actor, r.time, r.kind.as_str(), r.channel.as_str())
        );
        e.2.push(r.recipient);
        if first {
            *counts.entry(r.kind.as_str()).or_default() += 1;
        }
        match r.kind.as_str() {
            "message" => {
                assert!(matches!(r.channel.as_str(), "email" | "chat"), "{r:?}");
                assert!(matches!(r.role.as_str(), "to" | "cc"), "{r:?}");
                assert_eq!(r.duration, None, "{r:?}");
                if first {
                    messages += 1;
                }
                // A reply answers an earlier message sent to the replier, and goes (at least) to
                // its sender.
                if let Some(e) = r.in_reply_to {
                    let (_, asked, to, kind, _) = &events[&e];
                    assert_eq!(*kind, "message", "{r:?}");
                    assert!(*asked < r.time && to.contains(&r.actor), "{r:?}");
                    if first {
                        replies += 1;
                        reply_events.push((r.event, e));
                    }
                }
            }
            "meeting" => {
                assert_eq!(r.channel, "meeting");
                assert!(r.duration.is_some() && r.in_reply_to.is_none(), "{r:?}");
                match r.role.as_str() {
                    "organizer" => assert_eq!(r.actor, r.recipient),
                    "attendee" => assert_ne!(r.actor, r.recipient),
                    other => panic!("meeting role {other}"),
                }
            }
            _ => {
                // An attendee's answer to an invitation (iTIP REPLY), mailed to the organizer.
                let e = r.in_reply_to.expect("an answer names its invitation");
                let (organizer, invited, attendees, kind, _) = &events[&e];
                assert_eq!(*kind, "meeting", "{r:?}");
                assert_eq!(r.recipient, *organizer, "{r:?}");
                assert!(attendees.contains(&r.actor) && *invited < r.time, "{r:?}");
                assert_eq!((r.channel.as_str(), r.role.as_str()), ("email", "to"));
                assert_eq!(r.thread, Some(e));
                assert_eq!(r.duration, None);
            }
        }
    }
    for (reply, asked) in reply_events {
        assert!(
            events[&reply].2.contains(&events[&asked].0),
            "{reply} does not answer {asked}"
        );
    }
    // Replies, copies, invitations and both answers to them are all there.
    assert!(
        replies * 10 > messages,
        "{replies} replies of {messages} messages"
    );
    assert!(g.rows.iter().any(|r| r.role == "cc"));
    assert!(counts["meeting"] > 1000 && counts["accept"] > counts["decline"]);
    assert!(counts["decline"] > 100);
}
