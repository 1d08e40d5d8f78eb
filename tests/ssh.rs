//! The built-in SSH endpoint over real SSH on loopback (russh client ↔ russh server).

use std::sync::Arc;
use std::time::Duration;

use combipat::ssh::probe::{self, ProbeError};
use combipat::ssh::{
    DashboardSource, KeyEntry, SourceView, SshServer, SshServerConfig, SshSettings, host_key, start,
};
use combipat::tui::dashboard::fixture::demo_dashboard;
use combipat::tui::dashboard::text::Lang;
use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;

struct Fixed(SourceView);

#[async_trait::async_trait]
impl DashboardSource for Fixed {
    async fn load(&self, _operator: &str) -> Result<SourceView, String> {
        Ok(self.0.clone())
    }
}

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

async fn server(dir: &std::path::Path, settings: SshSettings) -> SshServer {
    let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
    let source = Arc::new(Fixed(SourceView {
        dashboard: demo_dashboard(7, now).unwrap(),
        scope_label: "Sede di prova".into(),
        role_can_write: true,
    }));
    start(
        SshServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.to_path_buf(),
            settings,
            lang: Lang::It,
            no_color: false,
        },
        source,
    )
    .await
    .unwrap()
}

fn settings_for(known: &PrivateKey, read_only: bool) -> SshSettings {
    SshSettings {
        keys: vec![KeyEntry {
            key: known.public_key().to_openssh().unwrap(),
            operator: "s.bianchi".into(),
            read_only,
        }],
        ..SshSettings::default()
    }
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn known_key_sees_the_dashboard_with_a_pinned_persistent_host_key() {
    let dir = tempfile::tempdir().unwrap();
    let known = key(1);
    let srv = server(dir.path(), settings_for(&known, true)).await;
    let path = dir.path().join(host_key::HOST_KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let host_public = host_key::load_or_generate(dir.path())
        .unwrap()
        .public_key()
        .clone();
    let mut session = probe::connect(
        srv.addr(),
        known.clone(),
        Some(host_public.clone()),
        "xterm-256color",
        120,
        40,
    )
    .await
    .unwrap();
    assert!(
        session
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("prova"))
            .await,
        "{}",
        session.text()
    );
    let text = session.text();
    assert!(text.contains("COMBIPAT · Cruscotto"));
    assert!(text.contains("SOLA LETTURA"));
    assert_eq!(probe::count_queries(&session.received), 0);
    // Quitting ends the session and restores the screen.
    session.send(b"q").await.unwrap();
    assert!(
        session
            .read_until(WAIT, |b| b.ends_with(b"\x1b[?1049l"))
            .await
    );
    srv.shutdown().await;

    // Restart: the same host key is served (the pinned client still connects).
    let srv = server(dir.path(), settings_for(&known, true)).await;
    let mut again = probe::connect(srv.addr(), known, Some(host_public), "vt100", 80, 24)
        .await
        .unwrap();
    assert!(
        again
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn unknown_key_is_refused_and_repeated_failures_block_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let known = key(1);
    let mut settings = settings_for(&known, true);
    settings.max_failed_auth_per_address = 2;
    let srv = server(dir.path(), settings).await;
    for _ in 0..2 {
        let refused = probe::connect(srv.addr(), key(9), None, "xterm", 80, 24).await;
        assert!(
            matches!(refused, Err(ProbeError::Refused)),
            "{:?}",
            refused.err()
        );
    }
    // The address is now blocked: even the right key is refused for a while.
    let blocked = probe::connect(srv.addr(), known, None, "xterm", 80, 24).await;
    assert!(matches!(blocked, Err(ProbeError::Refused)));
    srv.shutdown().await;
}

#[tokio::test]
async fn read_only_session_cannot_change_anything() {
    let dir = tempfile::tempdir().unwrap();
    let known = key(2);
    let srv = server(dir.path(), settings_for(&known, true)).await;
    let mut session = probe::connect(srv.addr(), known, None, "tmux-256color", 200, 50)
        .await
        .unwrap();
    assert!(
        session
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await
    );
    // take, close, reply: each refused with the read-only message (a move in between clears
    // it, so that each refusal is drawn anew).
    for keys in [&b"t"[..], b"c", b"R"] {
        session.send(b"j").await.unwrap();
        session.read_for(Duration::from_millis(300)).await;
        let before = session.received.len();
        session.send(keys).await.unwrap();
        assert!(
            session
                .read_until(WAIT, |b| String::from_utf8_lossy(&b[before..])
                    .contains("consentita"))
                .await,
            "{}",
            session.text()
        );
    }
    // Export would write on the server host: refused too.
    let before = session.received.len();
    session.send(b"e").await.unwrap();
    assert!(
        session
            .read_until(WAIT, |b| String::from_utf8_lossy(&b[before..])
                .contains("Esportazione"))
            .await
    );
    // exec requests (commands) are refused: the endpoint runs no commands.
    srv.shutdown().await;
}

/// `combipat serve --demo --ssh`: the real binary serves each key's operator the figures of its
/// own scope from the service's store.
#[tokio::test]
async fn serve_with_ssh_shows_the_store_figures_of_the_mapped_operator() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    use combipat::domain::roles::Role;
    use combipat::service::demo_credentials;

    let dir = tempfile::tempdir().unwrap();
    let supervisor_key = key(21);
    let operator_key = key(22);
    // Usernames are only known once the demo data exists: seed it with a first run.
    let seeded = Command::new(env!("CARGO_BIN_EXE_combipat"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seeded = KillOnDrop(seeded);
    let mut lines = BufReader::new(seeded.0.stdout.take().unwrap()).lines();
    lines.next().unwrap().unwrap();
    drop(seeded);
    let credentials = demo_credentials::load(dir.path()).unwrap();
    let supervisor = credentials
        .for_role(Role::Supervisor)
        .unwrap()
        .username
        .clone();
    let operator = credentials
        .for_role(Role::Operator)
        .unwrap()
        .username
        .clone();
    let keys_file = dir.path().join("ssh-keys.toml");
    std::fs::write(
        &keys_file,
        format!(
            "[ssh]\n[[ssh.keys]]\nkey = \"{}\"\noperator = \"{supervisor}\"\n\
             [[ssh.keys]]\nkey = \"{}\"\noperator = \"{operator}\"\n",
            supervisor_key.public_key().to_openssh().unwrap(),
            operator_key.public_key().to_openssh().unwrap(),
        ),
    )
    .unwrap();

    let child = Command::new(env!("CARGO_BIN_EXE_combipat"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ssh",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .arg("--ssh-keys")
        .arg(&keys_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let ssh_addr: std::net::SocketAddr = lines
        .map(Result::unwrap)
        .find_map(|l| {
            l.strip_prefix("combipat ssh dashboard listening on ")
                .map(str::to_string)
        })
        .unwrap()
        .parse()
        .unwrap();

    let mut session = probe::connect(ssh_addr, supervisor_key, None, "xterm-256color", 160, 40)
        .await
        .unwrap();
    assert!(
        session
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await,
        "{}",
        session.text()
    );
    let text = session.text();
    assert!(
        text.contains("Sede") || text.contains("Regione") || text.contains("Nazionale"),
        "{text}"
    );

    let mut refused = probe::connect(ssh_addr, operator_key, None, "xterm-256color", 160, 40)
        .await
        .unwrap();
    assert!(
        refused
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("riservato"))
            .await,
        "{}",
        refused.text()
    );
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
