//! `orgmirror-executor`: a Ballista executor that can run orgmirror's aggregation (it decodes the
//! segment scan and the plan's functions; docs/SCALE.md). It reads the segment files at the
//! paths the plan names: every executor must see the workspace at the same path.

const USAGE: &str = "usage: orgmirror-executor [--bind HOST:PORT] [--grpc-port PORT] [--scheduler HOST:PORT] [--concurrent-tasks N] [--work-dir DIR]
  defaults: --bind 127.0.0.1:50051 --grpc-port 50052 --scheduler 127.0.0.1:50050, one task per core, a temporary work dir";

fn usage(problem: &str) -> ! {
    eprintln!("orgmirror-executor: error: {problem}\n{USAGE}");
    std::process::exit(2)
}

fn host_port(text: &str, what: &str) -> (String, u16) {
    let (h, p) = text
        .rsplit_once(':')
        .unwrap_or_else(|| usage(&format!("{what} `{text}` is not HOST:PORT")));
    let port = p
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .unwrap_or_else(|| usage(&format!("{what} `{text}`: `{p}` is not a port")));
    (h.to_string(), port)
}

fn main() {
    engines::cluster::init_logging("orgmirror-executor");
    let mut opts = engines::cluster::ExecutorOptions {
        bind_host: "127.0.0.1".into(),
        port: 50051,
        grpc_port: 50052,
        scheduler_host: "127.0.0.1".into(),
        scheduler_port: 50050,
        concurrent_tasks: None,
        work_dir: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--bind" => (opts.bind_host, opts.port) = host_port(&value(), "--bind"),
            "--grpc-port" => {
                let v = value();
                opts.grpc_port = v
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("--grpc-port `{v}` is not a port")));
            }
            "--scheduler" => {
                (opts.scheduler_host, opts.scheduler_port) = host_port(&value(), "--scheduler")
            }
            "--concurrent-tasks" => {
                let v = value();
                opts.concurrent_tasks =
                    Some(v.parse().ok().filter(|n| *n > 0).unwrap_or_else(|| {
                        usage(&format!(
                            "--concurrent-tasks `{v}` is not a positive number"
                        ))
                    }));
            }
            "--work-dir" => opts.work_dir = Some(value()),
            "-h" | "--help" => usage("help asked for"),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if let Err(e) = engines::cluster::run_executor(opts) {
        eprintln!("orgmirror-executor: error: {e}");
        std::process::exit(2);
    }
}
