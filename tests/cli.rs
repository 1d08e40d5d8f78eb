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

/// `admin create-operator` refuses a full name that would attack operators' terminals (OSC 52
/// writes the clipboard; U+202E reverses the text), naming the option, before touching the store.
#[test]
fn create_operator_refuses_a_full_name_with_osc52_or_a_bidi_override() {
    let dir = tempfile::tempdir().unwrap();
    for full_name in ["Mario\u{1b}]52;c;ZXZpbA==\u{7}Rossi", "Rossi\u{202E}issoR"] {
        let out = combipat()
            .args(["admin", "create-operator", "--data-dir"])
            .arg(dir.path())
            .args([
                "--username",
                "m.rossi",
                "--full-name",
                full_name,
                "--role",
                "operator",
                "--office",
                "RM01",
            ])
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{full_name:?} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--full-name"), "{stderr}");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "the store was created"
        );
    }
}
