//! Aggregation checked by hand on a small case and against a naive recount on random data.

use aggregate::{AggregateOptions, aggregate};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use store::SegmentWriter;
use store::table::{ColumnData, read_table};
use vocab::{Channel, Interaction, Kind, OrgChart, PersonIdx, Role, Window, WindowSpec};

const DAY: i64 = 86_400_000;
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;

fn row(
    event: u64,
    t: i64,
    a: u32,
    b: u32,
    role: Role,
    channel: Channel,
    kind: Kind,
) -> Interaction {
    Interaction {
        event_id: event,
        time_ms: Some(t),
        actor: PersonIdx(a),
        recipient: PersonIdx(b),
        role,
        channel,
        kind,
        thread_id: None,
        in_reply_to: None,
        duration_s: None,
        speaking_s: None,
        weight: 1.0,
    }
}

/// n, weight, w_communication, w_meetings of one pair in one window.
type Naive = (f64, f64, f64, f64);

type Table = HashMap<(String, u32, u32), HashMap<String, f64>>;

/// Runs the aggregation over `rows` and returns the pair table keyed by (window, a, b), plus the
/// latency table's rows.
fn run(
    rows: &[Interaction],
    opts: &AggregateOptions,
    org: Option<&OrgChart>,
) -> (Table, Vec<(i32, i32, f64, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("seg.parquet");
    let mut w = SegmentWriter::with_row_group(&seg, 7).unwrap();
    for r in rows {
        w.push(*r).unwrap();
    }
    w.finish().unwrap();
    let mut reader = store::EventReader::open(&[seg]).unwrap();
    let pairs = dir.path().join("pairs.parquet");
    let lat = dir.path().join("lat.parquet");
    aggregate(&mut reader, org, opts, &pairs, &lat, &|_| {}).unwrap();
    let columns = read_table(&pairs).unwrap();
    let n = columns[0].1.len();
    let mut table = Table::new();
    for i in 0..n {
        let mut values = HashMap::new();
        let (mut window, mut a, mut b) = (String::new(), 0, 0);
        for (name, data) in &columns {
            match (name.as_str(), data) {
                ("window", ColumnData::Str(v)) => window = v[i].clone(),
                ("a", ColumnData::I32(v)) => a = v[i] as u32,
                ("b", ColumnData::I32(v)) => b = v[i] as u32,
                ("relation", ColumnData::Str(v)) => {
                    values.insert(format!("relation={}", v[i]), 1.0);
                }
                (_, ColumnData::I64(v)) => {
                    values.insert(name.clone(), v[i] as f64);
                }
                (_, ColumnData::F64(v)) => {
                    values.insert(name.clone(), v[i]);
                }
                (_, ColumnData::OptF64(v)) => {
                    if let Some(x) = v[i] {
                        values.insert(name.clone(), x);
                    }
                }
                (_, ColumnData::OptI64(v)) => {
                    if let Some(x) = v[i] {
                        values.insert(name.clone(), x as f64);
                    }
                }
                _ => {}
            }
        }
        assert!(
            table.insert((window, a, b), values).is_none(),
            "a pair appears twice in a window"
        );
    }
    let lat_cols = read_table(&lat).unwrap();
    let mut latencies = Vec::new();
    if let (ColumnData::I32(resp), ColumnData::I32(req), ColumnData::F64(l), ColumnData::Str(how)) = (
        &lat_cols[0].1,
        &lat_cols[1].1,
        &lat_cols[4].1,
        &lat_cols[7].1,
    ) {
        for i in 0..resp.len() {
            latencies.push((resp[i], req[i], l[i], how[i].clone()));
        }
    }
    (table, latencies)
}

fn get(t: &Table, w: &str, a: u32, b: u32, col: &str) -> f64 {
    t.get(&(w.to_string(), a, b))
        .unwrap_or_else(|| panic!("no pair {w} {a}->{b}"))
        .get(col)
        .copied()
        .unwrap_or(f64::NAN)
}

#[test]
fn a_small_case_worked_by_hand() {
    // 0 = A (manager of 1, 2), 1 = B, 2 = C, 3 = D (reports to 1).
    let org = OrgChart::from_managers(vec![None, Some(0), Some(0), Some(1)], &[]).unwrap();
    let mut rows = vec![
        row(
            1,
            T0 + 9 * DAY,
            0,
            1,
            Role::To,
            Channel::Email,
            Kind::Request,
        ),
        row(
            1,
            T0 + 9 * DAY,
            0,
            2,
            Role::Cc,
            Channel::Email,
            Kind::Request,
        ),
    ];
    let mut reply = row(
        2,
        T0 + 9 * DAY + 7_200_000,
        1,
        0,
        Role::To,
        Channel::Email,
        Kind::Reply,
    );
    reply.in_reply_to = Some(1);
    rows.push(reply);
    // A meeting of four on January 11th: organizer row plus three attendees.
    for (k, (b, role)) in [
        (0, Role::Organizer),
        (1, Role::Attendee),
        (2, Role::Attendee),
        (3, Role::Attendee),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = row(
            3,
            T0 + 10 * DAY,
            0,
            b,
            role,
            Channel::Meeting,
            Kind::Meeting,
        );
        m.duration_s = Some(3600);
        m.speaking_s = Some(100 * k as u32);
        rows.push(m);
    }
    // C asks A on February 5th and never hears back; the data goes on past the reply window.
    rows.push(row(
        4,
        T0 + 35 * DAY,
        2,
        0,
        Role::To,
        Channel::Chat,
        Kind::Request,
    ));
    rows.push(row(
        5,
        T0 + 80 * DAY,
        3,
        0,
        Role::To,
        Channel::Email,
        Kind::Fyi,
    ));
    let opts = AggregateOptions {
        windows: vec![WindowSpec::All, WindowSpec::Months],
        ..Default::default()
    };
    let (t, lat) = run(&rows, &opts, Some(&org));

    assert_eq!(get(&t, "all", 0, 1, "n"), 2.0);
    assert_eq!(get(&t, "all", 0, 1, "n_request"), 1.0);
    assert_eq!(get(&t, "all", 0, 1, "w_requests"), 1.0);
    assert_eq!(
        get(&t, "all", 0, 2, "w_requests"),
        0.0,
        "a cc'd request is not addressed to C"
    );
    assert_eq!(get(&t, "all", 0, 1, "relation=down"), 1.0);
    assert_eq!(get(&t, "all", 1, 0, "relation=up"), 1.0);
    assert_eq!(get(&t, "all", 3, 0, "relation=skip_up"), 1.0);
    assert_eq!(get(&t, "all", 1, 2, "relation=peer"), 1.0);
    // Meeting of 4: every ordered pair gets 1/3, including attendee to attendee.
    for (a, b) in [(0, 1), (1, 0), (1, 2), (3, 2), (2, 3)] {
        assert!(
            (get(&t, "all", a, b, "w_meetings") - 1.0 / 3.0).abs() < 1e-12,
            "{a}->{b}"
        );
        assert_eq!(get(&t, "all", a, b, "meeting_s"), 3600.0);
    }
    assert_eq!(get(&t, "all", 0, 1, "w_communication"), 1.0);
    // B answered A's request in two hours: a latency and a help on (B, A).
    assert_eq!(get(&t, "all", 1, 0, "n_latency"), 1.0);
    assert_eq!(get(&t, "all", 1, 0, "latency_median_s"), 7200.0);
    assert_eq!(get(&t, "all", 1, 0, "w_help"), 1.0);
    assert_eq!(get(&t, "2024-01", 1, 0, "w_help"), 1.0);
    assert_eq!(lat, vec![(1, 0, 7200.0, "thread".to_string())]);
    // A ignored C's request: counted on (A, C) in the request's windows.
    assert_eq!(get(&t, "all", 0, 2, "n_ignored"), 1.0);
    assert_eq!(get(&t, "2024-02", 0, 2, "n_ignored"), 1.0);
    // C was cc'd on A's request and never answered, but cc is not asked: nothing ignored.
    assert_eq!(get(&t, "2024-01", 2, 0, "n_ignored"), 0.0);
    assert_eq!(get(&t, "2024-03", 3, 0, "n_fyi"), 1.0);
    assert_eq!(
        get(&t, "2024-01", 0, 1, "first_time"),
        (T0 + 9 * DAY) as f64
    );
    assert_eq!(
        get(&t, "2024-01", 0, 1, "last_time"),
        (T0 + 10 * DAY) as f64
    );
}

#[test]
fn next_message_pairing_when_there_are_no_thread_ids() {
    let rows = vec![
        row(1, T0, 0, 1, Role::To, Channel::Email, Kind::Request),
        row(2, T0 + 1000, 0, 1, Role::To, Channel::Email, Kind::Message),
        row(
            3,
            T0 + 60_000,
            1,
            0,
            Role::To,
            Channel::Email,
            Kind::Message,
        ),
        row(
            4,
            T0 + 120_000,
            1,
            0,
            Role::To,
            Channel::Email,
            Kind::Message,
        ),
        // 1 asks 0, and 0 only writes back 40 days later: too late, so the request was ignored.
        row(5, T0 + DAY, 1, 0, Role::To, Channel::Email, Kind::Request),
        row(
            6,
            T0 + 41 * DAY,
            0,
            1,
            Role::To,
            Channel::Email,
            Kind::Message,
        ),
    ];
    let opts = AggregateOptions {
        windows: vec![WindowSpec::All],
        ..Default::default()
    };
    let (t, lat) = run(&rows, &opts, None);
    // The earliest unanswered message is what the next message back answers.
    assert_eq!(lat, vec![(1, 0, 60.0, "next_message".to_string())]);
    assert_eq!(get(&t, "all", 1, 0, "latency_median_s"), 60.0);
    assert_eq!(get(&t, "all", 0, 1, "n_ignored"), 1.0);
    assert_eq!(get(&t, "all", 0, 1, "relation=unknown"), 1.0);
}

/// The naive reference: every row checked against every window, pair counts by brute force.
#[test]
fn random_interactions_match_a_naive_recount() {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
    for case in 0..6 {
        let n_people = 3 + case;
        let mut rows = Vec::new();
        let mut t = T0;
        for event in 1..=300u64 {
            t += rng.random_range(0..2 * DAY);
            let actor = rng.random_range(0..n_people);
            let meeting = rng.random::<f64>() < 0.2;
            let k = rng.random_range(1..n_people.min(5));
            let kind = Kind::ALL[rng.random_range(0..Kind::ALL.len())];
            let channel = if meeting {
                Channel::Meeting
            } else {
                [Channel::Email, Channel::Chat, Channel::Call][rng.random_range(0..3)]
            };
            let mut seen = vec![actor];
            for _ in 0..k {
                let b = rng.random_range(0..n_people);
                if seen.contains(&b) {
                    continue;
                }
                seen.push(b);
                let mut r = row(
                    event,
                    t,
                    actor,
                    b,
                    if meeting { Role::Attendee } else { Role::To },
                    channel,
                    if meeting { Kind::Meeting } else { kind },
                );
                r.weight = rng.random_range(1..4) as f32;
                r.duration_s = meeting.then_some(1800);
                rows.push(r);
            }
        }
        let opts = AggregateOptions {
            windows: vec![WindowSpec::All, WindowSpec::Months, WindowSpec::Quarters],
            max_meeting_size: 3,
            ..Default::default()
        };
        let (t, _) = run(&rows, &opts, None);
        let windows_of = |time: i64| {
            vec![
                Window::All,
                Window::month_of(time),
                Window::quarter_of(time),
            ]
        };
        // (window, a, b) -> (n, weight, w_communication, w_meetings)
        let mut naive: HashMap<(String, u32, u32), Naive> = HashMap::new();
        let mut events: HashMap<u64, Vec<&Interaction>> = HashMap::new();
        for r in &rows {
            events.entry(r.event_id).or_default().push(r);
            for w in windows_of(r.time_ms.unwrap()) {
                let e = naive
                    .entry((w.label(), r.actor.0, r.recipient.0))
                    .or_default();
                e.0 += 1.0;
                e.1 += r.weight as f64;
                // An interaction is a meeting when its channel or its kind says so.
                if r.channel != Channel::Meeting && r.kind != Kind::Meeting {
                    e.2 += r.weight as f64;
                }
            }
        }
        for rs in events.values() {
            if rs
                .iter()
                .all(|r| r.channel != Channel::Meeting && r.kind != Kind::Meeting)
            {
                continue;
            }
            let mut who = vec![rs[0].actor.0];
            who.extend(rs.iter().map(|r| r.recipient.0));
            let k = who.len();
            let large = k > 3;
            for i in 0..k {
                for j in 0..k {
                    if i == j || (large && i != 0 && j != 0) {
                        continue;
                    }
                    for w in windows_of(rs[0].time_ms.unwrap()) {
                        naive.entry((w.label(), who[i], who[j])).or_default().3 +=
                            1.0 / (k as f64 - 1.0);
                    }
                }
            }
        }
        // A pair may appear in a window only because a request there went unanswered.
        let ignore_only = t
            .iter()
            .filter(|(_, v)| v["n"] == 0.0 && v["w_meetings"] == 0.0)
            .inspect(|(_, v)| assert!(v["n_ignored"] > 0.0))
            .count();
        assert_eq!(
            t.len() - ignore_only,
            naive.len(),
            "case {case}: number of (window, pair) rows"
        );
        for ((w, a, b), (n, weight, comm, meet)) in &naive {
            let close = |col: &str, want: f64| {
                let got = get(&t, w, *a, *b, col);
                assert!(
                    (got - want).abs() < 1e-9,
                    "case {case} {w} {a}->{b} {col}: {got} != {want}"
                );
            };
            close("n", *n);
            close("weight", *weight);
            close("w_communication", *comm);
            close("w_meetings", *meet);
        }
    }
}

/// A mail export with reply ids and no kinds: a message that opens a thread To a few people is
/// an ask; an answer in its thread answers it; an ask without one for the reply window was left
/// unanswered; a message To more than `MAX_ASK_TO` people asks nothing. Asks are counted once
/// decided, in the ask's month, so answered + unanswered = asks in every window, also when the
/// answer comes the next month and when a month-end ask expires across a gap in the data.
#[test]
fn asks_from_threads_in_kindless_mail() {
    let msg =
        |e: u64, t: i64, a: u32, b: u32| row(e, t, a, b, Role::To, Channel::Email, Kind::Message);
    let mut rows = vec![
        // 0 asks 1 and 2 on January 1st; 1 answers in the thread an hour later, 2 never does.
        msg(1, T0, 0, 1),
        msg(1, T0, 0, 2),
    ];
    let mut answer = msg(2, T0 + 3_600_000, 1, 0);
    answer.in_reply_to = Some(1);
    rows.push(answer);
    // 3 writes to four people at once: no ask.
    for b in [0, 1, 2, 4] {
        rows.push(msg(3, T0 + DAY, 3, b));
    }
    // A Cc'd colleague is not asked.
    rows.push(msg(4, T0 + 2 * DAY, 4, 0));
    rows.push(row(
        4,
        T0 + 2 * DAY,
        4,
        1,
        Role::Cc,
        Channel::Email,
        Kind::Message,
    ));
    // 2 asks 4 on January 30th; 4 answers on February 2nd.
    rows.push(msg(6, T0 + 29 * DAY, 2, 4));
    let mut late = msg(7, T0 + 32 * DAY, 4, 2);
    late.in_reply_to = Some(6);
    rows.push(late);
    // 1 asks 3 on January 31st, late, and the data is silent until mid-March.
    rows.push(msg(8, T0 + 30 * DAY + 23 * 3_600_000, 1, 3));
    rows.push(msg(11, T0 + 119 * DAY, 2, 0));
    for (e, day) in [(9, 75), (10, 120)] {
        for b in [0, 1, 2, 4] {
            rows.push(msg(e, T0 + day * DAY, 3, b));
        }
    }
    for windows in [
        vec![WindowSpec::All],
        vec![WindowSpec::All, WindowSpec::Months],
    ] {
        let opts = AggregateOptions {
            windows: windows.clone(),
            ..Default::default()
        };
        let (t, _) = run(&rows, &opts, None);
        assert_eq!(get(&t, "all", 0, 1, "n_ask"), 1.0);
        assert_eq!(get(&t, "all", 0, 2, "n_ask"), 1.0);
        assert_eq!(get(&t, "all", 1, 0, "n_answered"), 1.0);
        assert_eq!(get(&t, "all", 1, 0, "n_unanswered"), 0.0);
        assert_eq!(
            get(&t, "all", 2, 0, "n_unanswered"),
            1.0,
            "2 left 0's ask unanswered"
        );
        assert_eq!(get(&t, "all", 1, 0, "n_ask"), 0.0, "an answer is no ask");
        for b in [0, 1, 2, 4] {
            assert_eq!(
                get(&t, "all", 3, b, "n_ask"),
                0.0,
                "a note to four asks nothing"
            );
        }
        assert_eq!(get(&t, "all", 4, 0, "n_ask"), 1.0);
        assert_eq!(get(&t, "all", 0, 4, "n_unanswered"), 1.0);
        assert_eq!(
            get(&t, "all", 2, 0, "n_ask"),
            0.0,
            "2's ask of 0 is still open at the end"
        );
        assert_eq!(get(&t, "all", 4, 1, "n_ask"), 0.0, "Cc is not asked");
        assert_eq!(
            get(&t, "all", 3, 1, "n_unanswered"),
            1.0,
            "{windows:?}: the month-end ask"
        );
        // Kinds carried by the data are untouched: no requests, help or ignored requests.
        assert_eq!(get(&t, "all", 1, 0, "w_help"), 0.0);
        assert_eq!(get(&t, "all", 2, 0, "n_ignored"), 0.0);
        if windows.len() == 2 {
            // Decided in February, counted in January with the ask.
            assert_eq!(get(&t, "2024-01", 4, 2, "n_answered"), 1.0);
            assert_eq!(get(&t, "2024-01", 2, 4, "n_ask"), 1.0);
            assert_eq!(get(&t, "2024-01", 3, 1, "n_unanswered"), 1.0);
            assert!(
                t.get(&("2024-02".to_string(), 4, 2))
                    .is_none_or(|r| r["n_answered"] == 0.0)
            );
        }
        // Answered + unanswered = asks, pair by pair, in every window.
        let mut keys: Vec<&(String, u32, u32)> = t.keys().collect();
        keys.sort();
        for (w, a, b) in keys {
            let asks = get(&t, w, *a, *b, "n_ask");
            let decided = t
                .get(&(w.clone(), *b, *a))
                .map_or(0.0, |r| r["n_answered"] + r["n_unanswered"]);
            assert_eq!(asks, decided, "{w} {a}->{b}");
        }
    }
}

/// Random interactions with everything the pass handles: undated ties, meetings (some over the
/// size limit), requests, asks and replies by thread, repeated event ids, weights that are not
/// whole numbers.
fn random_rows(seed: u64, n_events: u64) -> Vec<Interaction> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let n_people = 12;
    let mut rows = Vec::new();
    for event in 1..=20u64 {
        let mut r = row(
            event,
            0,
            event as u32 % 5,
            7,
            Role::To,
            Channel::Other,
            Kind::Tie,
        );
        r.time_ms = None;
        r.weight = 0.1 * event as f32;
        rows.push(r);
    }
    let mut t = T0;
    // (id, actor, recipients) of earlier events, for replies.
    let mut past: Vec<(u64, u32, Vec<u32>)> = Vec::new();
    for event in 100..100 + n_events {
        t += rng.random_range(0..DAY / 3);
        let meeting = rng.random::<f64>() < 0.2;
        // Now and then an id seen before, at a later time.
        let id = if rng.random_bool(0.02) {
            event - 5
        } else {
            event
        };
        if !meeting && past.len() > 10 && rng.random_bool(0.4) {
            // A reply (or accept) to an earlier event, from one of its recipients.
            let (asked, asker, to) = past[past.len() - rng.random_range(1..10)].clone();
            if let Some(&replier) = to.first() {
                let kind = [Kind::Reply, Kind::Accept, Kind::Message][rng.random_range(0..3)];
                let mut r = row(id, t, replier, asker, Role::To, Channel::Email, kind);
                r.in_reply_to = Some(asked);
                r.weight = rng.random_range(0.0..3.0f32);
                rows.push(r);
                continue;
            }
        }
        let actor = rng.random_range(0..n_people);
        let k = rng.random_range(1..if meeting { 8 } else { 5 });
        let kind = [Kind::Request, Kind::Message, Kind::Fyi, Kind::Praise][rng.random_range(0..4)];
        let channel = if meeting {
            Channel::Meeting
        } else {
            [Channel::Email, Channel::Chat][rng.random_range(0..2)]
        };
        let mut seen = vec![actor];
        let mut to = Vec::new();
        for j in 0..k {
            let b = rng.random_range(0..n_people);
            if seen.contains(&b) {
                continue;
            }
            seen.push(b);
            let role = if meeting {
                Role::Attendee
            } else if j == 0 || rng.random_bool(0.5) {
                to.push(b);
                Role::To
            } else {
                Role::Cc
            };
            let mut r = row(
                id,
                t,
                actor,
                b,
                role,
                channel,
                if meeting { Kind::Meeting } else { kind },
            );
            r.weight = rng.random_range(0.0..3.0f32);
            r.duration_s = meeting.then(|| rng.random_range(60..7200));
            rows.push(r);
        }
        past.push((id, actor, to));
    }
    rows
}

/// The written tables as exact values: (column, row) -> bits of every number and every text.
fn table_values(path: &std::path::Path) -> Vec<(String, Vec<String>)> {
    read_table(path)
        .unwrap()
        .into_iter()
        .map(|(name, data)| {
            let values = match data {
                ColumnData::I32(v) => v.iter().map(|x| x.to_string()).collect(),
                ColumnData::I64(v) => v.iter().map(|x| x.to_string()).collect(),
                ColumnData::F64(v) => v.iter().map(|x| format!("{:x}", x.to_bits())).collect(),
                ColumnData::Str(v) => v,
                ColumnData::OptI64(v) => v.iter().map(|x| format!("{x:?}")).collect(),
                ColumnData::OptF64(v) => v
                    .iter()
                    .map(|x| format!("{:?}", x.map(f64::to_bits)))
                    .collect(),
                other => panic!("unexpected column {name}: {other:?}"),
            };
            (name, values)
        })
        .collect()
}

/// A window's records handed to the reducer in many small parts (memory bounded for long
/// windows) give the same tables, bit for bit, as one part per window; so do different
/// window sets run twice (no dependence on thread timing).
#[test]
fn records_absorbed_in_parts_give_the_same_tables() {
    let rows = random_rows(21, 1500);
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("seg.parquet");
    let mut w = SegmentWriter::with_row_group(&seg, 97).unwrap();
    let mut sorted = rows.clone();
    sorted.sort_by_key(|r| (r.time_ms.unwrap_or(i64::MIN), r.event_id));
    for r in &sorted {
        w.push(*r).unwrap();
    }
    w.finish().unwrap();
    for windows in [
        vec![WindowSpec::All, WindowSpec::Months],
        vec![WindowSpec::All],
        vec![WindowSpec::Quarters, WindowSpec::All, WindowSpec::Months],
    ] {
        let opts = AggregateOptions {
            windows: windows.clone(),
            max_meeting_size: 5,
            reply_window_ms: 10 * DAY,
            ..Default::default()
        };
        let mut outputs = Vec::new();
        for (i, part) in [usize::MAX, 1, 13, 500, usize::MAX].into_iter().enumerate() {
            let pairs = dir.path().join(format!("pairs-{i}.parquet"));
            let lat = dir.path().join(format!("lat-{i}.parquet"));
            let mut reader = store::EventReader::open(std::slice::from_ref(&seg)).unwrap();
            aggregate::aggregate_with(&mut reader, None, &opts, &pairs, &lat, &|_| {}, part)
                .unwrap();
            outputs.push((table_values(&pairs), table_values(&lat), part));
        }
        let (want_pairs, want_lat, _) = &outputs[0];
        assert!(
            want_pairs[0].1.len() > 100,
            "{windows:?}: a real test needs rows"
        );
        assert!(want_lat[0].1.len() > 50, "{windows:?}: and paired replies");
        for (pairs, lat, part) in &outputs[1..] {
            assert_eq!(pairs, want_pairs, "{windows:?}, parts of {part} records");
            assert_eq!(lat, want_lat, "{windows:?}, parts of {part} records");
        }
    }
}

/// Activity counted in the aggregation's own pass (on its decoded batches, events running over
/// a batch's end) is the activity a pass of its own counts, window by window: sends, after
/// hours and weekends in each sender's time zone, broadcasts, and airtime in team meetings.
#[test]
fn activity_counted_in_the_aggregation_pass_is_its_own_pass() {
    // More rows than one decoded batch (65,536), so that events straddle batches.
    let mut rows = random_rows(8, 40_000);
    // Speaking times: each meeting's organizer row, and its attendees'.
    let mut organizers = Vec::new();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    for r in rows.iter_mut().filter(|r| r.kind == Kind::Meeting) {
        r.speaking_s = Some(rng.random_range(0..900));
        if !organizers
            .iter()
            .any(|o: &Interaction| o.event_id == r.event_id)
        {
            let mut o = *r;
            o.role = Role::Organizer;
            o.recipient = o.actor;
            o.speaking_s = Some(rng.random_range(0..1800));
            organizers.push(o);
        }
    }
    rows.extend(organizers);
    // Broadcasts: a few events To many.
    for (k, id) in (10_000_000u64..10_000_050).enumerate() {
        for b in 0..11 {
            rows.push(row(
                id,
                T0 + k as i64 * DAY,
                b % 12,
                (b + 1) % 12,
                Role::To,
                Channel::Email,
                Kind::Fyi,
            ));
        }
    }
    rows.sort_by_key(|r| {
        (
            r.time_ms.unwrap_or(i64::MIN),
            r.event_id,
            r.role != Role::Organizer,
        )
    });
    assert!(rows.len() > 70_000, "{} rows", rows.len());
    let dir = tempfile::tempdir().unwrap();
    let seg = dir.path().join("seg.parquet");
    let mut w = SegmentWriter::with_row_group(&seg, 4_099).unwrap();
    for r in &rows {
        w.push(*r).unwrap();
    }
    w.finish().unwrap();
    let zones: Vec<Option<String>> = (0..12)
        .map(|p| {
            [
                None,
                Some("Asia/Kolkata"),
                Some("UTC-8"),
                Some("America/New_York"),
            ][p % 4]
                .map(String::from)
        })
        .collect();
    // People 3.. report to 0, 1 or 2: meetings they attend with them are team meetings.
    let managers: Vec<Option<u32>> = (0..12u32).map(|p| (p >= 3).then_some(p % 3)).collect();
    let specs = vec![WindowSpec::All, WindowSpec::Months, WindowSpec::Quarters];
    let opts = AggregateOptions {
        windows: specs.clone(),
        ..Default::default()
    };
    let mut counter = aggregate::activity::Counter::new(&zones, &managers, &specs);
    let mut reader = store::EventReader::open(std::slice::from_ref(&seg)).unwrap();
    let (pairs, lat) = (dir.path().join("p.parquet"), dir.path().join("l.parquet"));
    let summary = aggregate::aggregate_counting(
        &mut reader,
        None,
        &opts,
        &pairs,
        &lat,
        &|_| {},
        Some(&mut counter),
    )
    .unwrap();
    let windows: Vec<Window> = summary
        .windows
        .iter()
        .map(|(label, _)| Window::parse(label).unwrap())
        .collect();
    assert!(windows.len() >= 5, "{windows:?}");
    let counted = counter.finish_for(&windows);
    // A pass of its own, each window a fixed one (as the analysis used to count them).
    let fixed: Vec<WindowSpec> = windows.iter().map(|w| WindowSpec::Fixed(*w)).collect();
    let mut alone = aggregate::activity::Counter::new(&zones, &managers, &fixed);
    let mut reader = store::EventReader::open(std::slice::from_ref(&seg)).unwrap();
    while let Some(row) = reader.next_row().unwrap() {
        alone.row(&row);
    }
    let own = alone.finish_for(&windows);
    assert_eq!(counted, own);
    // The counts are real: every kind of count is there in window `all`.
    let all = &own[windows.iter().position(|w| *w == Window::All).unwrap()];
    let total = |f: fn(&vocab::Activity) -> f64| all.iter().map(f).sum::<f64>();
    assert!(total(|a| a.sent) > 10_000.0);
    assert!(total(|a| a.after_hours) > 100.0);
    assert!(total(|a| a.weekend) > 100.0);
    assert!(total(|a| a.broadcast) >= 50.0);
    assert!(total(|a| a.team_meetings) > 10.0);
    assert!(total(|a| a.team_airtime_sum) > 0.0);
}
