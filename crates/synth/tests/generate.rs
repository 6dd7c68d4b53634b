//! The generator as a user runs it: files, determinism, and the planted truth's shape.

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
