//! Synthetic organizations with planted dynamics, for tests, demos and benchmarks.
//!
//! `generate` writes four files that `orgmirror ingest` loads without a mapping:
//! - `people.csv`: id, name, email, manager, title, department, level, time_zone, start, tags
//! - `events.parquet` (or `events.csv`): one row per actor–recipient pair of each interaction,
//!   columns event_id, time, actor, recipient, role, channel, kind, thread_id, in_reply_to,
//!   duration_s, speaking_s, in time order
//! - `survey.csv`: respondent, question, colleague
//! - `truth.json`: who carries each planted dynamic (format documented on [`Truth`])
//!
//! With `metadata_only` (`generate --metadata-only`) the events carry only what a real mail and
//! calendar export carries, behaving like real mail (see [`realism`]), and no survey is written;
//! people and truth are the same as in the full mode for the same seed (but `event_rows`).
//!
//! Same configuration and seed, same files, byte for byte.

pub mod org;
pub mod realism;
pub mod sim;

use org::{Cast, OFFICES, Org, Staff};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use sim::{Sim, SimRow};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::table::{ColumnData, ColumnDef, ColumnType, TableWriter};
use vocab::{Channel, Kind, Role};

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFormat {
    Parquet,
    Csv,
}

#[derive(Debug, Clone)]
pub struct GenerateConfig {
    pub people: usize,
    pub days: u32,
    pub seed: u64,
    /// Target number of event rows; default people × days × 6.
    pub events: Option<u64>,
    /// First day (days since 1970-01-01); default 2024-01-01.
    pub start_day: i32,
    pub format: EventFormat,
    /// Write only what a real export carries (kinds message/meeting/accept/decline, no speaking
    /// time, no survey), with behaviour matched to real mail ([`realism::Realism::ENRON`]).
    pub metadata_only: bool,
    /// How the metadata-only mode behaves; unused in the full mode.
    pub realism: realism::Realism,
}

impl GenerateConfig {
    pub fn new(people: usize, days: u32, seed: u64) -> GenerateConfig {
        GenerateConfig {
            people,
            days,
            seed,
            events: None,
            start_day: 19_723,
            format: EventFormat::Parquet,
            metadata_only: false,
            realism: realism::Realism::ENRON,
        }
    }
}

/// Ground truth of the planted dynamics, written as `truth.json`. Every person is named by the
/// id of `people.csv`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Truth {
    pub seed: u64,
    pub people: usize,
    pub days: u32,
    pub start: String,
    pub event_rows: u64,
    /// Assistants and chiefs of staff who route access to an executive: low formal level, high
    /// informal power.
    pub hidden_influencers: Vec<HiddenInfluencer>,
    /// Managers whose own reports go around them (formal power, little informal power).
    pub paper_power: Vec<String>,
    /// Pairs where `holder` makes requests that `yielder` answers at once and never refuses,
    /// while the holder answers the yielder slowly, refuses or ignores them. Same level band.
    pub unbalanced_pairs: Vec<UnbalancedPair>,
    /// Leaders with a planted style: "power_over" or "power_with", and their direct reports.
    pub leaders: Vec<Leader>,
    /// Departments that barely talk to other departments.
    pub siloed_departments: Vec<String>,
    /// Dense informal groups across at least three departments.
    pub coalitions: Vec<Coalition>,
    /// People who give much help and ask little.
    pub caretakers: Vec<String>,
    /// People with many inbound requests from many colleagues and slow answers.
    pub bottlenecks: Vec<String>,
    /// Pairs that help each other both ways, exchange feedback and name each other as allies.
    pub allies: Vec<AllyPair>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct HiddenInfluencer {
    pub person: String,
    pub principal: String,
    /// "assistant" or "chief_of_staff"
    pub role: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct UnbalancedPair {
    pub holder: String,
    pub yielder: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Leader {
    pub leader: String,
    pub style: String,
    pub team: Vec<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Coalition {
    pub members: Vec<String>,
    pub departments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct AllyPair {
    pub a: String,
    pub b: String,
}

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    pub people: usize,
    pub departments: usize,
    pub event_rows: u64,
    pub events: u64,
    pub survey_answers: u64,
    pub files: Vec<PathBuf>,
}

fn day_text(day: i32) -> String {
    chrono::DateTime::from_timestamp(day as i64 * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn truth_of(org: &Org, cast: &Cast, cfg: &GenerateConfig, event_rows: u64) -> Truth {
    let id = |i: u32| org.people[i as usize].id.clone();
    let ids = |v: &[u32]| v.iter().map(|&i| id(i)).collect::<Vec<_>>();
    let mut leaders = Vec::new();
    for (list, style) in [
        (&cast.power_over, "power_over"),
        (&cast.power_with, "power_with"),
    ] {
        for &l in list.iter() {
            leaders.push(Leader {
                leader: id(l),
                style: style.into(),
                team: ids(&org.people[l as usize].reports),
            });
        }
    }
    let mut coalition_depts: Vec<String> = cast
        .coalition
        .iter()
        .map(|&i| org.departments[org.people[i as usize].department as usize].clone())
        .collect();
    coalition_depts.sort();
    coalition_depts.dedup();
    Truth {
        seed: cfg.seed,
        people: org.n(),
        days: cfg.days,
        start: day_text(cfg.start_day),
        event_rows,
        hidden_influencers: cast
            .hidden
            .iter()
            .map(|&(p, principal)| HiddenInfluencer {
                person: id(p),
                principal: id(principal),
                role: if org.people[p as usize].staff == Staff::ChiefOfStaff {
                    "chief_of_staff"
                } else {
                    "assistant"
                }
                .into(),
            })
            .collect(),
        paper_power: ids(&cast.paper),
        unbalanced_pairs: cast
            .unbalanced
            .iter()
            .map(|&(h, y)| UnbalancedPair {
                holder: id(h),
                yielder: id(y),
            })
            .collect(),
        leaders,
        siloed_departments: cast
            .silos
            .iter()
            .map(|&d| org.departments[d as usize].clone())
            .collect(),
        coalitions: if cast.coalition.is_empty() {
            vec![]
        } else {
            vec![Coalition {
                members: ids(&cast.coalition),
                departments: coalition_depts,
            }]
        },
        caretakers: ids(&cast.caretakers),
        bottlenecks: ids(&cast.bottlenecks),
        allies: cast
            .allies
            .iter()
            .map(|&(a, b)| AllyPair { a: id(a), b: id(b) })
            .collect(),
    }
}

fn write_people(org: &Org, path: &Path) -> Result<(), SynthError> {
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let err = |e: csv::Error| SynthError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    };
    w.write_record([
        "id",
        "name",
        "email",
        "manager",
        "title",
        "department",
        "level",
        "time_zone",
        "start",
        "tags",
    ])
    .map_err(err)?;
    for p in &org.people {
        let manager = p
            .manager
            .map(|m| org.people[m as usize].id.clone())
            .unwrap_or_default();
        let tags = match p.staff {
            Staff::Assistant => "assistant",
            Staff::ChiefOfStaff => "chief_of_staff",
            Staff::Regular if p.level <= 2 => "executive",
            Staff::Regular => "",
        };
        w.write_record([
            p.id.as_str(),
            &p.name,
            &p.email,
            &manager,
            &p.title,
            &org.departments[p.department as usize],
            &p.level.to_string(),
            OFFICES[p.office as usize].0,
            &day_text(p.start_day),
            tags,
        ])
        .map_err(err)?;
    }
    w.flush().map_err(io(path))?;
    Ok(())
}

/// Survey answers that follow the same structure as the interactions.
fn write_survey(
    org: &Org,
    cast: &Cast,
    rng: &mut Xoshiro256PlusPlus,
    path: &Path,
    day: i32,
) -> Result<u64, SynthError> {
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let err = |e: csv::Error| SynthError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    };
    w.write_record(["respondent", "question", "colleague", "time"])
        .map_err(err)?;
    let date = day_text(day);
    let n = org.n() as u32;
    let mut ally_of: Vec<Vec<u32>> = vec![Vec::new(); org.n()];
    for &(a, b) in &cast.allies {
        ally_of[a as usize].push(b);
        ally_of[b as usize].push(a);
    }
    let mut holder_of: Vec<Vec<u32>> = vec![Vec::new(); org.n()];
    for &(h, y) in &cast.unbalanced {
        holder_of[y as usize].push(h);
    }
    let mut count = 0u64;
    for p in 0..n {
        if rng.random::<f64>() > 0.75 {
            continue;
        }
        let person = &org.people[p as usize];
        let mut answers: Vec<(&str, u32)> = Vec::new();
        let manager = person.manager;
        let skip = manager.and_then(|m| org.people[m as usize].manager);
        if let Some(m) = manager {
            if rng.random::<f64>() < 0.8 {
                answers.push(("advice", m));
            }
            if rng.random::<f64>() < 0.9 {
                answers.push(("cannot_decline", m));
                answers.push(("decision", m));
            }
        }
        if let Some(s) = skip
            && rng.random::<f64>() < 0.3
        {
            answers.push(("decision", s));
        }
        for &h in &holder_of[p as usize] {
            if rng.random::<f64>() < 0.9 {
                answers.push(("cannot_decline", h));
            }
        }
        for &a in &ally_of[p as usize] {
            if rng.random::<f64>() < 0.95 {
                answers.push(("ally", a));
                answers.push(("trust", a));
            }
        }
        for &c in &cast.caretakers {
            if org.people[c as usize].department == person.department
                && c != p
                && rng.random::<f64>() < 0.3
            {
                answers.push(("advice", c));
                answers.push(("energy", c));
            }
        }
        let peers = org.peers(p);
        for _ in 0..rng.random_range(0..3) {
            if peers.is_empty() {
                break;
            }
            let q = peers[rng.random_range(0..peers.len())];
            if q != p {
                let question = ["trust", "energy", "information"][rng.random_range(0..3)];
                answers.push((question, q));
            }
        }
        answers.sort();
        answers.dedup();
        for (question, colleague) in answers {
            if colleague == p {
                continue;
            }
            w.write_record([
                person.id.as_str(),
                question,
                &org.people[colleague as usize].id,
                &date,
            ])
            .map_err(err)?;
            count += 1;
        }
    }
    w.flush().map_err(io(path))?;
    Ok(count)
}

const EVENT_COLUMNS: &[ColumnDef] = &[
    ColumnDef::new("event_id", ColumnType::I64),
    ColumnDef::new("time", ColumnType::TimestampMs),
    ColumnDef::new("actor", ColumnType::Str),
    ColumnDef::new("recipient", ColumnType::Str),
    ColumnDef::new("role", ColumnType::Str),
    ColumnDef::new("channel", ColumnType::Str),
    ColumnDef::new("kind", ColumnType::Str),
    ColumnDef::new("thread_id", ColumnType::I64),
    ColumnDef::nullable("in_reply_to", ColumnType::I64),
    ColumnDef::nullable("duration_s", ColumnType::I32),
    ColumnDef::nullable("speaking_s", ColumnType::I32),
];

enum EventSink {
    Parquet {
        writer: TableWriter,
        ids: Arc<Vec<String>>,
        words: [Arc<Vec<String>>; 3],
        buffer: Vec<SimRow>,
    },
    Csv {
        writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
        path: PathBuf,
    },
}

const ROW_GROUP: usize = 1 << 20;

impl EventSink {
    fn open(format: EventFormat, path: &Path, org: &Org) -> Result<EventSink, SynthError> {
        Ok(match format {
            EventFormat::Parquet => EventSink::Parquet {
                writer: TableWriter::create(
                    path,
                    "events",
                    EVENT_COLUMNS,
                    &[("orgmirror.generator", "orgmirror synth".into())],
                )?,
                ids: Arc::new(org.people.iter().map(|p| p.id.clone()).collect()),
                words: [
                    Arc::new(Role::ALL.iter().map(|r| r.as_str().to_string()).collect()),
                    Arc::new(
                        Channel::ALL
                            .iter()
                            .map(|r| r.as_str().to_string())
                            .collect(),
                    ),
                    Arc::new(Kind::ALL.iter().map(|r| r.as_str().to_string()).collect()),
                ],
                buffer: Vec::with_capacity(ROW_GROUP),
            },
            EventFormat::Csv => {
                let file = std::fs::File::create(path).map_err(io(path))?;
                let mut writer =
                    csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
                writer
                    .write_record(EVENT_COLUMNS.iter().map(|c| c.name))
                    .map_err(|e| SynthError::Io {
                        path: path.to_path_buf(),
                        source: e.into(),
                    })?;
                EventSink::Csv {
                    writer,
                    path: path.to_path_buf(),
                }
            }
        })
    }

    fn flush_parquet(
        writer: &mut TableWriter,
        ids: &Arc<Vec<String>>,
        words: &[Arc<Vec<String>>; 3],
        rows: &[SimRow],
    ) -> Result<(), SynthError> {
        let columns = vec![
            ColumnData::I64(rows.iter().map(|r| r.event_id as i64).collect()),
            ColumnData::I64(rows.iter().map(|r| r.time_ms).collect()),
            ColumnData::Dict {
                values: ids.clone(),
                codes: rows.iter().map(|r| r.actor).collect(),
            },
            ColumnData::Dict {
                values: ids.clone(),
                codes: rows.iter().map(|r| r.recipient).collect(),
            },
            ColumnData::Dict {
                values: words[0].clone(),
                codes: rows.iter().map(|r| r.role.code() as u32).collect(),
            },
            ColumnData::Dict {
                values: words[1].clone(),
                codes: rows.iter().map(|r| r.channel.code() as u32).collect(),
            },
            ColumnData::Dict {
                values: words[2].clone(),
                codes: rows.iter().map(|r| r.kind.code() as u32).collect(),
            },
            ColumnData::I64(rows.iter().map(|r| r.thread as i64).collect()),
            ColumnData::OptI64(rows.iter().map(|r| r.reply_to.map(|v| v as i64)).collect()),
            ColumnData::OptI32(
                rows.iter()
                    .map(|r| r.duration_s.map(|v| v as i32))
                    .collect(),
            ),
            ColumnData::OptI32(
                rows.iter()
                    .map(|r| r.speaking_s.map(|v| v as i32))
                    .collect(),
            ),
        ];
        writer.write_row_group(&columns)?;
        Ok(())
    }

    fn write(&mut self, rows: Vec<SimRow>, org: &Org) -> Result<(), SynthError> {
        match self {
            EventSink::Parquet {
                writer,
                ids,
                words,
                buffer,
            } => {
                // Row groups end only between interactions.
                for row in rows {
                    if buffer.len() >= ROW_GROUP
                        && buffer.last().is_some_and(|l| l.event_id != row.event_id)
                    {
                        Self::flush_parquet(writer, ids, words, buffer)?;
                        buffer.clear();
                    }
                    buffer.push(row);
                }
            }
            EventSink::Csv { writer, path } => {
                let err = |e: csv::Error| SynthError::Io {
                    path: path.clone(),
                    source: e.into(),
                };
                for r in rows {
                    let time = chrono::DateTime::from_timestamp_millis(r.time_ms)
                        .unwrap_or_default()
                        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                        .to_string();
                    let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
                    writer
                        .write_record([
                            r.event_id.to_string().as_str(),
                            &time,
                            &org.people[r.actor as usize].id,
                            &org.people[r.recipient as usize].id,
                            r.role.as_str(),
                            r.channel.as_str(),
                            r.kind.as_str(),
                            &r.thread.to_string(),
                            &r.reply_to.map(|v| v.to_string()).unwrap_or_default(),
                            &opt(r.duration_s),
                            &opt(r.speaking_s),
                        ])
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(), SynthError> {
        match self {
            EventSink::Parquet {
                mut writer,
                ids,
                words,
                buffer,
            } => {
                Self::flush_parquet(&mut writer, &ids, &words, &buffer)?;
                writer.finish()?;
            }
            EventSink::Csv { mut writer, path } => writer.flush().map_err(io(&path))?,
        }
        Ok(())
    }
}

/// Generates an organization into `out` (created if missing). `progress(day, days)` is called
/// after each simulated day.
pub fn generate(
    cfg: &GenerateConfig,
    out: &Path,
    progress: &dyn Fn(u32, u32),
) -> Result<GenerateSummary, SynthError> {
    if cfg.people < 20 {
        return Err(SynthError::BadRequest(format!(
            "--people {} is too small: at least 20",
            cfg.people
        )));
    }
    if cfg.people > 5_000_000 {
        return Err(SynthError::BadRequest(format!(
            "--people {} is more than 5,000,000",
            cfg.people
        )));
    }
    if cfg.days == 0 || cfg.days > 3650 {
        return Err(SynthError::BadRequest(format!(
            "--days {} must be 1 to 3650",
            cfg.days
        )));
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    // Independent streams for structure, casting, events and survey, so that changing one part
    // of the generator does not reshuffle the others.
    let mut org_rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
    let mut cast_rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0x9E37_79B9_7F4A_7C15);
    let sim_rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0xD1B5_4A32_D192_ED03);
    let mut survey_rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0x8CB9_2BA7_2F3D_8DD7);
    let org = org::build(cfg.people, cfg.start_day, &mut org_rng);
    let cast = org::cast(&org, &mut cast_rng);

    let people_path = out.join("people.csv");
    write_people(&org, &people_path)?;
    let events_path = out.join(match cfg.format {
        EventFormat::Parquet => "events.parquet",
        EventFormat::Csv => "events.csv",
    });
    let target = cfg
        .events
        .unwrap_or(cfg.people as u64 * cfg.days as u64 * 6);
    let mut sink = EventSink::open(cfg.format, &events_path, &org)?;
    let realism = cfg.metadata_only.then_some(cfg.realism);
    let mut sim = Sim::new(
        &org,
        &cast,
        sim_rng,
        cfg.start_day,
        cfg.days as i32,
        realism,
    );
    // An interaction yields about 2.4 rows on average; the scale is tuned as the days go by.
    let workdays = (0..cfg.days as i32)
        .filter(|d| !matches!((cfg.start_day + d + 3).rem_euclid(7), 5 | 6))
        .count()
        .max(1);
    let base_rate = target as f64 / (workdays as f64 * cfg.people as f64 * 2.4);
    let (mut rows_total, mut events_total) = (0u64, 0u64);
    let mut workdays_done = 0usize;
    for d in 0..cfg.days as i32 {
        let day = cfg.start_day + d;
        let rows = sim.day(day, base_rate);
        if !matches!((day + 3).rem_euclid(7), 5 | 6) {
            workdays_done += 1;
            // Steer the total towards the target.
            let expected = target as f64 * workdays_done as f64 / workdays as f64;
            let got = (rows_total + rows.len() as u64).max(1) as f64;
            sim.scale = (sim.scale * (expected / got).powf(0.5)).clamp(0.05, 20.0);
        }
        rows_total += rows.len() as u64;
        let mut last = None;
        for r in &rows {
            if last != Some(r.event_id) {
                events_total += 1;
                last = Some(r.event_id);
            }
        }
        sink.write(rows, &org)?;
        progress(d as u32 + 1, cfg.days);
    }
    sink.finish()?;
    let mut files = vec![people_path, events_path];
    let mut answers = 0;
    // A real mail and calendar export has no survey.
    if !cfg.metadata_only {
        let survey_path = out.join("survey.csv");
        answers = write_survey(
            &org,
            &cast,
            &mut survey_rng,
            &survey_path,
            cfg.start_day + cfg.days as i32 - 1,
        )?;
        files.push(survey_path);
    }
    let truth = truth_of(&org, &cast, cfg, rows_total);
    let truth_path = out.join("truth.json");
    let text = serde_json::to_string_pretty(&truth).expect("truth serializes");
    std::fs::write(&truth_path, text + "\n").map_err(io(&truth_path))?;
    files.push(truth_path);
    Ok(GenerateSummary {
        people: org.n(),
        departments: org.departments.len(),
        event_rows: rows_total,
        events: events_total,
        survey_answers: answers,
        files,
    })
}
