//! `aggregate --engine`: the streaming pass, or the DataFusion/Ballista engines when orgmirror is
//! built with the `datafusion` or `ballista` feature (crates/engines, outside the default build).

use anyhow::{Result, bail};

/// Where `aggregate` runs, as typed: the engine, and for the others an object store's URL that
/// holds the segments (`--segments`).
pub enum Engine {
    Local,
    #[cfg(feature = "datafusion")]
    Other(engines::Engine, Option<String>),
}

pub fn parse(text: &str, segments: Option<String>) -> Result<Engine> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("local") {
        if let Some(url) = segments {
            bail!(
                "--segments {url}: the local engine reads the workspace's own segments; use --engine datafusion or ballista://HOST:PORT"
            );
        }
        return Ok(Engine::Local);
    }
    #[cfg(feature = "datafusion")]
    {
        if let Some(url) = &segments
            && let Err(e) = engines::objects::check_url(url)
        {
            bail!("--segments: {e}");
        }
        match t.parse::<engines::Engine>() {
            Ok(e) => Ok(Engine::Other(e, segments)),
            Err(e) => bail!("--engine: {e}"),
        }
    }
    #[cfg(not(feature = "datafusion"))]
    {
        if t.eq_ignore_ascii_case("datafusion") {
            bail!(
                "--engine datafusion: this orgmirror was built without DataFusion; build it with `cargo build --release -p cli --features datafusion`"
            );
        }
        if t.starts_with("ballista://") {
            bail!(
                "--engine {t}: this orgmirror was built without Ballista; build it with `cargo build --release -p cli --features ballista`"
            );
        }
        bail!("--engine: unknown engine `{t}`: expected local, datafusion or ballista://HOST:PORT")
    }
}

pub fn aggregate(
    session: &mut app::Session,
    req: &app::ingest::AggregateRequest,
    engine: Engine,
    progress: &dyn app::progress::Progress,
) -> Result<app::ingest::AggregateSummary> {
    match engine {
        Engine::Local => session.aggregate(req, progress),
        #[cfg(feature = "datafusion")]
        Engine::Other(engine, at) => {
            let run: app::ingest::AggregateEngine = &|segments, org, opts, pairs, latencies| {
                engines::aggregate(
                    &engine,
                    segments,
                    at.as_deref(),
                    org,
                    opts,
                    pairs,
                    latencies,
                )
                .map_err(anyhow::Error::from)
            };
            session.aggregate_on(req, Some(run), progress)
        }
    }
}
