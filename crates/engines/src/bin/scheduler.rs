//! `orgmirror-scheduler`: a Ballista scheduler that can plan orgmirror's aggregation (it knows
//! the segment scan and the plan's functions). Usage: `orgmirror-scheduler [--bind HOST:PORT]`
//! (default 127.0.0.1:50050); executors register with it, `orgmirror aggregate --engine
//! ballista://HOST:PORT` submits to it.

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use std::sync::Arc;

fn usage(problem: &str) -> ! {
    eprintln!("orgmirror-scheduler: {problem}\nusage: orgmirror-scheduler [--bind HOST:PORT]");
    std::process::exit(2)
}

fn main() {
    let mut bind = "127.0.0.1:50050".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bind" => {
                bind = args
                    .next()
                    .unwrap_or_else(|| usage("--bind needs HOST:PORT"))
            }
            "-h" | "--help" => usage("runs a Ballista scheduler for orgmirror"),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let addr: std::net::SocketAddr = bind.parse().unwrap_or_else(|_| {
        usage(&format!(
            "`{bind}` is not an address (HOST:PORT, an IP address)"
        ))
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = runtime.block_on(async move {
        let config = SchedulerConfig {
            bind_host: addr.ip().to_string(),
            bind_port: addr.port(),
            external_host: addr.ip().to_string(),
            ..SchedulerConfig::default()
        }
        .with_override_config_producer(Arc::new(engines::cluster::session_config))
        .with_override_session_builder(Arc::new(|config| {
            Ok(engines::cluster::session_state(config))
        }));
        let config = SchedulerConfig {
            override_logical_codec: Some(Arc::new(engines::cluster::LogicalCodec::default())),
            override_physical_codec: Some(Arc::new(engines::cluster::PhysicalCodec::default())),
            ..config
        };
        let cluster = BallistaCluster::new_from_config(&config).await?;
        eprintln!("orgmirror-scheduler: listening on {addr}");
        start_server(cluster, addr, Arc::new(config)).await
    });
    if let Err(e) = result {
        eprintln!("orgmirror-scheduler: error: {e}");
        std::process::exit(2);
    }
}
