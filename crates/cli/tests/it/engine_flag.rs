//! `aggregate --engine` in the default build: the streaming pass only, and one line that says how
//! to build the others (crates/cli/tests/engines.rs checks them when built with the feature).

#![cfg(not(feature = "datafusion"))]

use crate::fails;

#[test]
fn other_engines_say_how_to_build_them() {
    let err = fails(&[
        "--workspace",
        "no-such-ws",
        "aggregate",
        "--engine",
        "datafusion",
    ]);
    assert!(err.contains("--features datafusion"), "{err}");
    let err = fails(&[
        "--workspace",
        "no-such-ws",
        "aggregate",
        "--engine",
        "ballista://127.0.0.1:50050",
    ]);
    assert!(err.contains("--features ballista"), "{err}");
    let err = fails(&[
        "--workspace",
        "no-such-ws",
        "aggregate",
        "--engine",
        "spark",
    ]);
    assert!(err.contains("unknown engine `spark`"), "{err}");
}
