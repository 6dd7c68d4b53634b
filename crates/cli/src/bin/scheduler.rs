//! `orgmirror-scheduler`: a Ballista scheduler that can plan orgmirror's aggregation (it knows the
//! segment scan and the plan's functions; docs/SCALE.md). Executors (`orgmirror-executor`)
//! register with it, `orgmirror aggregate --engine ballista://HOST:PORT` submits to it.

fn usage(problem: &str) -> ! {
    eprintln!(
        "orgmirror-scheduler: error: {problem}\nusage: orgmirror-scheduler [--bind IP:PORT]   (default 127.0.0.1:50050)"
    );
    std::process::exit(2)
}

fn main() {
    engines::cluster::init_logging("orgmirror-scheduler");
    let mut bind = "127.0.0.1:50050".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bind" => bind = args.next().unwrap_or_else(|| usage("--bind needs IP:PORT")),
            "-h" | "--help" => usage("help asked for"),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let addr: std::net::SocketAddr = bind
        .parse()
        .unwrap_or_else(|_| usage(&format!("--bind `{bind}` is not IP:PORT")));
    eprintln!("orgmirror-scheduler: listening on {addr}");
    if let Err(e) = engines::cluster::run_scheduler(addr) {
        eprintln!("orgmirror-scheduler: error: {e}");
        std::process::exit(2);
    }
}
