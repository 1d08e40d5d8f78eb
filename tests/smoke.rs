//! Starts the binary in tmux as a newcomer would, navigates, quits, checks a clean exit; and a
//! broken config file stops the start with a clear error.

use std::path::PathBuf;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

fn tmux(args: &[&str]) -> Option<String> {
    let out = Command::new("tmux").args(args).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The release binary when one was built at least as recently as this build's (in `target/` or
/// in this build's target dir, e.g. with `CARGO_TARGET_DIR`), else the binary of this build. A
/// stale release binary would test old code.
fn binary() -> PathBuf {
    let this_build = PathBuf::from(env!("CARGO_BIN_EXE_combipat"));
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let built = modified(&this_build);
    let sibling = this_build
        .parent()
        .and_then(|profile_dir| profile_dir.parent())
        .map(|target| target.join("release/combipat"));
    let in_tree = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/combipat");
    [Some(in_tree), sibling]
        .into_iter()
        .flatten()
        .find(|p| modified(p).is_some_and(|release| built.is_none_or(|b| release >= b)))
        .unwrap_or(this_build)
}

#[test]
fn starts_navigates_and_quits() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("NOTICE: tmux not installed, smoke test skipped");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // A user keymap in the config dir: one extra key (used below to quit) and one bad binding,
    // reported at start.
    let config_dir = home.path().join("config/combipat");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("keymap.toml"),
        "[global]\nprepend_keymap = [\n  { on = \"ctrl-q\", run = \"quit\" },\n  { on = \"Z\", run = \"explode\" },\n]\n",
    )
    .unwrap();
    let session = format!("combipat-smoke-{}", std::process::id());
    let status_file = home.path().join("exit-status");
    let command = format!(
        "env HOME={h} XDG_DATA_HOME={h}/data XDG_CONFIG_HOME={h}/config TERM=xterm-256color {bin}; echo $? > {status}",
        h = home.path().display(),
        bin = binary().display(),
        status = status_file.display()
    );
    let created = Command::new("tmux")
        .args([
            "-L",
            &session,
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "160",
            "-y",
            "48",
            &command,
        ])
        .status()
        .unwrap();
    assert!(created.success());
    let target = session.clone();
    let socket = |args: &[&str]| {
        let mut all = vec!["-L", session.as_str()];
        all.extend_from_slice(args);
        tmux(&all)
    };
    // The first start seeds the demo data (20,000 requests) into a fresh SQLite file: in a debug
    // build on a busy CI machine that takes a while, hence the long first wait.
    let capture_within = |needle: &str, tries: usize| {
        let mut screen = String::new();
        for _ in 0..tries {
            screen = socket(&["capture-pane", "-p", "-t", &target]).unwrap_or_default();
            if screen.contains(needle) {
                return screen;
            }
            sleep(Duration::from_millis(100));
        }
        panic!("'{needle}' never appeared:\n{screen}");
    };
    let capture = |needle: &str| capture_within(needle, 100);
    let screen = capture_within("DEMO", 3000);
    assert!(screen.contains("Code"), "{screen}");
    // The keymap diagnostic, with file and line, in the status bar.
    assert!(
        screen.contains("Avvisi in keymap/tema: 1") && screen.contains("keymap.toml:4"),
        "{screen}"
    );
    socket(&["send-keys", "-t", &target, "j", "j", "Enter"]);
    capture("Stato:");
    socket(&["send-keys", "-t", &target, "?"]);
    capture("Tasti");
    socket(&["send-keys", "-t", &target, "Escape"]);
    sleep(Duration::from_millis(200));
    // Quit with the key bound only by the user's keymap file.
    socket(&["send-keys", "-t", &target, "C-q"]);
    let mut code = None;
    for _ in 0..50 {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            code = Some(text.trim().to_string());
            break;
        }
        sleep(Duration::from_millis(100));
    }
    let _ = socket(&["kill-server"]);
    assert_eq!(
        code.as_deref(),
        Some("0"),
        "workstation did not exit cleanly"
    );
}

#[test]
fn bad_config_stops_start_naming_file_line_and_field() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "lang = \"it\"\ntheme = \"dark\"\nread_only = \"sì\"\n",
    )
    .unwrap();
    let out = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(home.path().join("data"))
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let location = format!("{}:3:", config.display());
    assert!(stderr.contains("configurazione non valida"), "{stderr}");
    assert!(stderr.contains(&location), "{stderr}");
    assert!(stderr.contains("read_only"), "{stderr}");
    // Nothing started: no data dir was created.
    assert!(!home.path().join("data").exists());
}
