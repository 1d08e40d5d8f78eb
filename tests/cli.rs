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

/// Issue 12 point 11: the data dir is 0700 and keys and credentials 0600 even under umask 000
/// (outside systemd nothing else narrows them).
#[cfg(unix)]
#[test]
fn data_dir_and_secrets_are_private_whatever_the_umask() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;

    fn permissive(cmd: &mut Command) -> &mut Command {
        // SAFETY: umask is async-signal-safe and only changes the child's own mask.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0);
                Ok(())
            })
        }
    }
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let out = permissive(
        combipat()
            .args(["demo", "seed", "--small", "--data-dir"])
            .arg(&data),
    )
    .output()
    .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("demo-credentials.toml")), 0o600);

    let keys = root.path().join("ssh-keys.toml");
    std::fs::write(&keys, "[ssh]\n").unwrap();
    let child = permissive(
        combipat()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--ssh",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(&data)
            .arg("--ssh-keys")
            .arg(&keys)
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .spawn()
    .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(child);
    let listening = BufReader::new(child.0.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .any(|l| l.starts_with("combipat ssh dashboard listening on "));
    assert!(listening);
    assert_eq!(mode(&data.join("ssh_host_ed25519_key")), 0o600);
    assert_eq!(mode(&data), 0o700);
}

/// Issue 11 point 8: `demo seed --requests N` writes exactly N requests, the same N for the same
/// seed; with stderr not a terminal (a pipe here, as in logs and CI) no progress bar is drawn.
#[test]
fn demo_seed_requests_writes_n_deterministically_without_a_bar_off_a_terminal() {
    let now = "2026-11-23T16:00:00Z";
    let seed = |dir: &std::path::Path| {
        let out = combipat()
            .args([
                "demo",
                "seed",
                "--requests",
                "600",
                "--seed",
                "5",
                "--now",
                now,
            ])
            .arg("--data-dir")
            .arg(dir)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains('\r'),
            "progress output off a terminal: {stderr:?}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(stdout.contains(" 600 requests"), "{stdout}");
        let db = rusqlite::Connection::open(dir.join("combipat.sqlite3")).unwrap();
        let count: i64 = db
            .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 600);
        // Everything the generator decided, clocks replayed from it included (updated_us etc.).
        let rows: Vec<String> = db
            .prepare(
                "SELECT id || patronato || office || topic || citizen || status || \
                 created_us || updated_us || version || thread_json || history_json || \
                 clocks_json FROM requests ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(seed(a.path()), seed(b.path()));
}
