//! The binary's command line, as a user meets it.

use std::process::Command;

fn combipat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_combipat"))
}

#[test]
fn help_lists_every_subcommand() {
    let out = combipat().arg("--help").output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "serve",
        "demo",
        "calendar",
        "admin",
        "dashboard",
        "report",
        "bench",
    ] {
        assert!(text.contains(sub), "--help lacks {sub}:\n{text}");
    }
}
