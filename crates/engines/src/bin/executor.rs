//! `orgmirror-executor`: a Ballista executor that can run orgmirror's aggregation (it decodes the
//! segment scan and the plan's functions). It reads the segment files at the paths the plan
//! names, so every executor must see the workspace at the same path (one machine, or a shared
//! file system). Usage: `orgmirror-executor [--bind HOST:PORT] [--grpc-port PORT]
//! [--scheduler HOST:PORT] [--concurrent-tasks N] [--work-dir DIR]`.

use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use std::sync::Arc;

fn usage(problem: &str) -> ! {
    eprintln!(
        "orgmirror-executor: {problem}\nusage: orgmirror-executor [--bind HOST:PORT] [--grpc-port PORT] [--scheduler HOST:PORT] [--concurrent-tasks N] [--work-dir DIR]"
    );
    std::process::exit(2)
}

fn host_port(text: &str, what: &str) -> (String, u16) {
    let (h, p) = text
        .rsplit_once(':')
        .unwrap_or_else(|| usage(&format!("{what} `{text}` is not HOST:PORT")));
    let port = p
        .parse()
        .unwrap_or_else(|_| usage(&format!("{what} `{text}`: `{p}` is not a port")));
    (h.to_string(), port)
}

fn main() {
    let mut config = ExecutorProcessConfig::default();
    config.port = 50051;
    config.grpc_port = 50052;
    config.scheduler_host = "127.0.0.1".into();
    config.scheduler_port = 50050;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--bind" => {
                let (h, p) = host_port(&value(), "--bind");
                config.bind_host = h.clone();
                config.external_host = Some(h);
                config.port = p;
            }
            "--grpc-port" => {
                let v = value();
                config.grpc_port = v
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("`{v}` is not a port")));
            }
            "--scheduler" => {
                let (h, p) = host_port(&value(), "--scheduler");
                config.scheduler_host = h;
                config.scheduler_port = p;
            }
            "--concurrent-tasks" => {
                let v = value();
                config.vcores = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage(&format!("`{v}` is not a positive number")));
            }
            "--work-dir" => config.work_dir = Some(value()),
            "-h" | "--help" => usage("runs a Ballista executor for orgmirror"),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    config.override_logical_codec = Some(Arc::new(engines::cluster::LogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(engines::cluster::PhysicalCodec::default()));
    config.override_config_producer = Some(Arc::new(engines::cluster::session_config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let Err(e) = runtime.block_on(start_executor_process(Arc::new(config))) {
        eprintln!("orgmirror-executor: error: {e}");
        std::process::exit(2);
    }
}
