//! The cruscotto over the built-in SSH endpoint, as a supervisor reaches it: OpenSSH's `ssh`
//! client in a real terminal (tmux), against `combipat serve --demo --ssh` (the real binary).
//!
//! Needs `tmux` and `ssh`/`ssh-keygen` (Debian packages `tmux`, `openssh-client`). Without
//! them the test says so and passes, except under `CI=true`, where a missing tool is a failure.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use combipat::domain::roles::Role;
use combipat::service::demo_credentials;
use common::KillOnDrop;
use common::tmux::{Tmux, tools_available};

mod common;

fn tools_present() -> bool {
    tools_available(
        &[("tmux", "-V"), ("ssh", "-V"), ("ssh-keygen", "--help")],
        "apt-get install tmux openssh-client",
    )
}

/// Seeds the demo data in `dir` with a first run of the service (usernames exist only then).
fn seed(dir: &Path) {
    let seeded = Command::new(env!("CARGO_BIN_EXE_combipat"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seeded = KillOnDrop(seeded);
    let mut lines = BufReader::new(seeded.0.stdout.take().unwrap()).lines();
    lines.next().unwrap().unwrap();
}

/// The first request id on a screen line (ids are `CBP-YYYY-NNNNNNN`).
fn first_id(screen: &str) -> Option<String> {
    let at = screen.find("CBP-")?;
    let id: String = screen[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (id.len() >= 16).then_some(id)
}

/// `combipat serve --demo --ssh` with the demo supervisor's key, and OpenSSH's `ssh` into it
/// in a 160×48 tmux window, the cruscotto drawn.
struct Setup {
    tmux: Tmux,
    /// `ssh`'s exit status is written here when it exits.
    status: std::path::PathBuf,
    /// The service's HTTP base URL.
    url: String,
    credentials: demo_credentials::DemoCredentials,
    _child: KillOnDrop,
    _dir: tempfile::TempDir,
}

fn setup(name: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let credentials = demo_credentials::load(dir.path()).unwrap();
    let supervisor = credentials
        .for_role(Role::Supervisor)
        .unwrap()
        .username
        .clone();
    let key = dir.path().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "supervisor", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let keys_file = dir.path().join("ssh-keys.toml");
    std::fs::write(
        &keys_file,
        format!(
            "[ssh]\n[[ssh.keys]]\nkey = \"{}\"\noperator = \"{supervisor}\"\n",
            public.trim()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_combipat"))
        .args(["serve", "--listen", "127.0.0.1:0", "--ssh", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--ssh-keys")
        .arg(&keys_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut url = None;
    let ssh_addr: std::net::SocketAddr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(at) = line.strip_prefix("combipat service listening on ") {
            url = Some(at.to_string());
        }
        if let Some(at) = line.strip_prefix("combipat ssh dashboard listening on ") {
            break at.parse().unwrap();
        }
    };
    // Keep reading the service's output so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));

    let tmux = Tmux {
        socket: format!("combipat-ssh-{name}-{}", std::process::id()),
    };
    let status = dir.path().join("ssh-exit");
    let command = format!(
        "ssh -F /dev/null -tt -i {key} -p {port} -o IdentitiesOnly=yes -o BatchMode=yes \
         -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
         {supervisor}@127.0.0.1; echo $? > {status}",
        key = key.display(),
        port = ssh_addr.port(),
        status = status.display(),
    );
    let started = Command::new("tmux")
        .args(["-L", &tmux.socket, "new-session", "-d", "-s", &tmux.socket])
        .args(["-x", "160", "-y", "48"])
        .arg(format!("env TERM=xterm-256color {command}"))
        .status()
        .unwrap();
    assert!(started.success());
    Setup {
        tmux,
        status,
        url: url.expect("the service prints its URL before the SSH endpoint's"),
        credentials,
        _child: child,
        _dir: dir,
    }
}

/// Enter on a cell shows its requests, Enter on one shows its detail, Esc twice returns to
/// the cruscotto; `q` ends the session and `ssh` exits.
#[test]
fn over_ssh_a_cell_opens_its_requests_and_one_request_its_detail() {
    if !tools_present() {
        return;
    }
    let setup = setup("drill");
    let (tmux, status) = (&setup.tmux, &setup.status);
    let cruscotto = tmux.wait_for(|s| s.contains("Cruscotto") && s.contains("Totale"));
    assert!(cruscotto.contains("1 Sedi"), "{cruscotto}");

    // Enter on the first cell: its open requests, read-only, oldest first.
    tmux.keys(&["Enter"]);
    let list = tmux.wait_for(|s| s.contains("· Aperte (") && first_id(s).is_some());
    assert!(list.contains("Pratica"), "{list}");
    assert!(list.contains("Esc indietro"), "{list}");
    let id = first_id(&list).unwrap_or_else(|| panic!("no request listed:\n{list}"));

    // Enter on it: its detail beside the list (160 columns), with its clocks.
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for(|s| s.contains("Orologi SLA"));
    assert!(detail.contains("Orologi SLA"), "{detail}");
    assert!(detail.matches(id.as_str()).count() >= 2, "{id}:\n{detail}");
    assert!(detail.contains("Cittadino"), "{detail}");

    // Esc: the list again; Esc: the cruscotto's table.
    tmux.keys(&["Escape"]);
    let back = tmux.wait_for(|s| !s.contains("Orologi SLA") && s.contains("· Aperte ("));
    assert!(back.contains(id.as_str()), "{back}");
    tmux.keys(&["Escape"]);
    let table = tmux.wait_for(|s| !s.contains("· Aperte (") && s.contains("Totale"));
    assert!(table.contains("1 Sedi"), "{table}");
    assert!(!table.contains("Pratica"), "{table}");

    // q ends the session; ssh exits cleanly.
    tmux.keys(&["q"]);
    for _ in 0..100 {
        if status.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let exit = std::fs::read_to_string(status).unwrap_or_default();
    assert_eq!(exit.trim(), "0", "{}", tmux.screen());
}

/// The open requests of the scope's Totale row as the screen shows them.
fn total_open(screen: &str) -> Option<u32> {
    let line = screen
        .lines()
        .find(|l| l.trim_start_matches('│').starts_with("Totale"))?;
    line.split_whitespace().find_map(|word| word.parse().ok())
}

/// A request filed while a supervisor watches: the session redraws with it on the service's
/// change announcement, long before the 30-second poll would.
#[test]
fn over_ssh_the_figures_follow_a_filing_without_waiting_for_the_poll() {
    if !tools_present() {
        return;
    }
    let setup = setup("live");
    let tmux = &setup.tmux;
    let screen = tmux.wait_for(|s| total_open(s).is_some());
    let before = total_open(&screen).unwrap_or_else(|| panic!("no Totale row:\n{screen}"));
    let supervisor = setup.credentials.for_role(Role::Supervisor).unwrap();
    let office = supervisor
        .office
        .clone()
        .expect("the demo supervisor has an office");
    let patronato = setup.credentials.for_role(Role::Patronato).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // A citizen the patronato holds a mandate for: the one of its newest request.
        let page: serde_json::Value = common::get_json(
            &format!("{}/v1/requests?limit=50", setup.url),
            &patronato.token,
        )
        .await;
        // Lists mask the codice fiscale; the request itself names it.
        let id = page["items"][0]["id"].as_str().unwrap().to_string();
        let detail: serde_json::Value =
            common::get_json(&format!("{}/v1/requests/{id}", setup.url), &patronato.token).await;
        let citizen = detail["citizen"].as_str().unwrap().to_string();
        let filed = common::http()
            .post(format!("{}/v1/requests", setup.url))
            .bearer_auth(&patronato.token)
            .header("Idempotency-Key", "ssh-live-figures-1")
            .json(&serde_json::json!({
                "office": office,
                "topic": "pensioni",
                "citizen": citizen,
                "subject": "Stato della domanda di pensione",
                "body": "Si chiede lo stato della pratica.",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(filed.status(), 201, "{}", filed.text().await.unwrap());
    });
    // The session polls every 30 s from its start: waiting 20 s at most after the filing, the
    // new figure can only come from the change announcement.
    let after = tmux.wait_within(Duration::from_secs(20), |s| {
        total_open(s) == Some(before + 1)
    });
    assert_eq!(total_open(&after), Some(before + 1), "{after}");
}
