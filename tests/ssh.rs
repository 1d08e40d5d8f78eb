//! The built-in SSH endpoint over real SSH on loopback (russh client ↔ russh server).

mod common;

use std::sync::Arc;
use std::time::Duration;

use combipat::demo::dashboard::demo_dashboard;
use combipat::ssh::probe::{self, ProbeError};
use combipat::ssh::{
    DashboardSource, KeyEntry, SourceView, SshServer, SshServerConfig, SshSettings, host_key, start,
};
use combipat::tui::dashboard::text::Lang;
use common::KillOnDrop;
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
        dashboard: demo_dashboard(7, now).unwrap().into(),
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
async fn unknown_keys_ban_the_address_but_a_configured_key_still_gets_in() {
    let dir = tempfile::tempdir().unwrap();
    let known = key(1);
    let mut settings = settings_for(&known, true);
    settings.max_failed_auth_per_address = 2;
    let srv = server(dir.path(), settings).await;
    for _ in 0..3 {
        let refused = probe::connect(srv.addr(), key(9), None, "xterm", 80, 24).await;
        assert!(
            matches!(refused, Err(ProbeError::Refused)),
            "{:?}",
            refused.err()
        );
    }
    // The address is banned, yet a key that proved it is configured is not locked out with it
    // (a colleague behind the same NAT).
    let mut genuine = probe::connect(srv.addr(), known, None, "xterm", 80, 24)
        .await
        .unwrap();
    assert!(
        genuine
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await
    );
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

// ---- denial of service -------------------------------------------------------------------

/// Raises this process's soft limit of open files to `want` (the hard limit too when allowed,
/// e.g. as root; otherwise up to the hard limit), returning the soft limit in force.
fn raise_nofile(want: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < want {
            let wider = libc::rlimit {
                rlim_cur: want,
                rlim_max: limit.rlim_max.max(want),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wider) != 0 {
                limit.rlim_cur = limit.rlim_max;
                assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
            }
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        }
    }
    limit.rlim_cur
}

/// A raw TCP connection from `source` that never authenticates; with `banner` it also sends an
/// SSH identification line first, then stays silent.
async fn raw_connection(
    source: std::net::Ipv4Addr,
    target: std::net::SocketAddr,
    banner: bool,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::new(source.into(), 0))
        .unwrap();
    let mut tcp = socket.connect(target).await.unwrap();
    if banner {
        tcp.write_all(b"SSH-2.0-held\r\n").await.unwrap();
    }
    tcp
}

/// Whether the server closed `tcp` (EOF or reset) within `limit`; data it sends is skipped.
async fn closed_within(tcp: &mut tokio::net::TcpStream, limit: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn connections_that_never_authenticate_are_closed_by_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let known = key(3);
    let mut settings = settings_for(&known, true);
    settings.preauth_timeout_secs = 2;
    let srv = server(dir.path(), settings).await;
    let mut held = Vec::new();
    for i in 0..10 {
        held.push(raw_connection([127, 0, 0, 1].into(), srv.addr(), i % 2 == 0).await);
    }
    // They are accepted and counted as pending…
    assert!(
        wait_for(WAIT, || srv.unauthenticated() == 10).await,
        "{}",
        srv.unauthenticated()
    );
    // …and each is closed by the server once the deadline passes.
    for tcp in &mut held {
        assert!(closed_within(tcp, Duration::from_secs(20)).await);
    }
    assert!(wait_for(WAIT, || srv.unauthenticated() == 0).await);
    srv.shutdown().await;
}

#[test]
fn the_preauthentication_deadline_is_at_most_ten_seconds() {
    let default = SshSettings::default();
    assert!(default.preauth_timeout() <= Duration::from_secs(10));
    let configured = SshSettings {
        preauth_timeout_secs: 3600,
        ..SshSettings::default()
    };
    assert_eq!(configured.preauth_timeout(), Duration::from_secs(10));
}

#[tokio::test]
async fn per_address_cap_closes_the_oldest_and_lets_a_colleague_in() {
    let dir = tempfile::tempdir().unwrap();
    let known = key(4);
    let mut settings = settings_for(&known, true);
    settings.max_unauthenticated_per_address = 8;
    let srv = server(dir.path(), settings).await;
    let source = std::net::Ipv4Addr::new(127, 0, 0, 9);
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(raw_connection(source, srv.addr(), false).await);
    }
    assert!(wait_for(WAIT, || srv.unauthenticated() == 8).await);
    // The first ones were closed to make room; the newest are still held.
    for tcp in &mut held[..12] {
        assert!(closed_within(tcp, WAIT).await);
    }
    // A genuine key from the same address (same NAT) still connects.
    let mut genuine = probe::connect_from(source.into(), srv.addr(), known, "xterm")
        .await
        .unwrap();
    assert!(
        genuine
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await
    );
    srv.shutdown().await;
}

/// The acceptance soak: 2,000 unauthenticated connections from 101 loopback addresses, held;
/// a genuine supervisor key still sees the cruscotto within 2 s; the deadline closes every held
/// connection; afterwards the endpoint serves new sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_two_thousand_held_connections_do_not_keep_a_supervisor_out() {
    const HELD: usize = 2000;
    let limit = raise_nofile(8192);
    assert!(
        limit >= 2 * HELD as u64 + 200,
        "RLIMIT_NOFILE hard limit too low for the soak: {limit}"
    );
    let dir = tempfile::tempdir().unwrap();
    let known = key(5);
    let mut settings = settings_for(&known, true);
    settings.preauth_timeout_secs = 5;
    let srv = server(dir.path(), settings).await;
    let mut held = Vec::with_capacity(HELD);
    for i in 0..HELD {
        // 127.0.0.1 too: the supervisor shares an address with part of the flood.
        let source = match i % 101 {
            0 => std::net::Ipv4Addr::new(127, 0, 0, 1),
            n => std::net::Ipv4Addr::new(127, 0, 1, n as u8),
        };
        held.push(raw_connection(source, srv.addr(), i % 3 == 0).await);
    }
    let started = tokio::time::Instant::now();
    let mut supervisor = tokio::time::timeout(
        Duration::from_secs(2),
        probe::connect(srv.addr(), known.clone(), None, "xterm-256color", 120, 40),
    )
    .await
    .expect("handshake within 2 s")
    .unwrap();
    let remaining = Duration::from_secs(2).saturating_sub(started.elapsed());
    assert!(
        supervisor
            .read_until(remaining, |b| String::from_utf8_lossy(b)
                .contains("Cruscotto"))
            .await,
        "cruscotto not shown within 2 s: {}",
        supervisor.text()
    );
    // Every held connection is closed by the server (cap or deadline), none outlives the deadline
    // by much.
    let mut still_open = 0;
    for tcp in &mut held {
        if !closed_within(tcp, Duration::from_secs(15)).await {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "held connections still open");
    assert!(wait_for(WAIT, || srv.unauthenticated() == 0).await);
    drop(held);
    // The endpoint still serves new sessions; the first one is still alive.
    let mut again = probe::connect(srv.addr(), known, None, "vt100", 80, 24)
        .await
        .unwrap();
    assert!(
        again
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await
    );
    supervisor.read_for(Duration::from_millis(300)).await;
    assert!(!supervisor.closed);
    srv.shutdown().await;
}

/// Forwards one connection to `target`; once `stall` is set it stops reading what the server
/// sends (a client that never reads), while still forwarding what the client sends.
async fn stalling_proxy(
    target: std::net::SocketAddr,
    stall: Arc<std::sync::atomic::AtomicBool>,
) -> std::net::SocketAddr {
    use std::sync::atomic::Ordering;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        // Small buffers so that the server's writes back up quickly.
        let _ = socket.set_recv_buffer_size(4096);
        let Ok(upstream) = socket.connect(target).await else {
            return;
        };
        let (mut client_read, mut client_write) = client.into_split();
        let (mut upstream_read, mut upstream_write) = upstream.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
        });
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0u8; 4096];
        while !stall.load(Ordering::SeqCst) {
            match tokio::time::timeout(Duration::from_millis(50), upstream_read.read(&mut buf))
                .await
            {
                Err(_) => continue,
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => {
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
        // Hold the upstream socket without reading it, until the test ends.
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(upstream_read);
    });
    addr
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_by_the_write_timeout() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let known = key(6);
    let mut settings = settings_for(&known, true);
    settings.write_timeout_secs = 2;
    let srv = server(dir.path(), settings).await;
    let stall = Arc::new(AtomicBool::new(false));
    let proxy = stalling_proxy(srv.addr(), stall.clone()).await;
    let tcp = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let mut session = probe::connect_stream(tcp, known, None, "xterm-256color", 200, 60)
        .await
        .unwrap();
    assert!(
        session
            .read_until(WAIT, |b| String::from_utf8_lossy(b).contains("Cruscotto"))
            .await
    );
    assert_eq!(srv.sessions(), 1);
    stall.store(true, Ordering::SeqCst);
    // Each resize makes the server redraw the whole screen; nobody reads it.
    let mut gone = false;
    for i in 0..1500u32 {
        let (cols, rows) = if i % 2 == 0 { (200, 60) } else { (199, 59) };
        let _ = tokio::time::timeout(Duration::from_millis(20), session.resize(cols, rows)).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        if srv.sessions() == 0 {
            gone = true;
            break;
        }
    }
    assert!(gone || wait_for(Duration::from_secs(30), || srv.sessions() == 0).await);
    srv.shutdown().await;
}

/// The real binary with a small file limit: a flood exhausts it, the accept loop logs, backs off
/// and keeps listening; once the flood is gone the endpoint answers SSH again.
#[tokio::test]
async fn the_endpoint_keeps_listening_when_out_of_file_descriptors() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let keys_file = dir.path().join("ssh-keys.toml");
    std::fs::write(&keys_file, "[ssh]\npreauth_timeout_secs = 2\n").unwrap();
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
        .env("COMBIPAT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let pid = child.0.id();
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
    let mut stderr = child.0.stderr.take().unwrap();
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let log_writer = log.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut log) = log_writer.lock() {
                log.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    // Leave the service only a few spare descriptors.
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count() as u64;
    let small = libc::rlimit {
        rlim_cur: open + 16,
        rlim_max: open + 16,
    };
    // SAFETY: prlimit on our own child only writes its limit.
    let set = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            &small,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(set, 0, "prlimit: {}", std::io::Error::last_os_error());

    let mut flood = Vec::new();
    for _ in 0..60 {
        flood.push(raw_connection([127, 0, 0, 1].into(), ssh_addr, false).await);
    }
    let logged = wait_for(Duration::from_secs(20), || {
        log.lock()
            .map(|l| l.contains("accept failed") && l.contains("Too many open files"))
            .unwrap_or(false)
    })
    .await;
    assert!(
        logged,
        "{}",
        log.lock().map(|l| l.clone()).unwrap_or_default()
    );
    drop(flood);
    // Still listening and speaking SSH: an unknown key gets a proper refusal.
    let mut answered = false;
    for _ in 0..20 {
        match probe::connect(ssh_addr, key(30), None, "xterm", 80, 24).await {
            Err(ProbeError::Refused) => {
                answered = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
    assert!(
        answered,
        "{}",
        log.lock().map(|l| l.clone()).unwrap_or_default()
    );
    assert!(child.0.try_wait().unwrap().is_none(), "service exited");
}

/// The unit gives the endpoint room above its caps (the default 1,024 is what a flood exhausted).
#[test]
fn the_systemd_unit_raises_the_file_limit() {
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/combipat.service"),
    )
    .unwrap();
    let limit: u64 = unit
        .lines()
        .find_map(|l| l.trim().strip_prefix("LimitNOFILE="))
        .expect("LimitNOFILE set")
        .trim()
        .parse()
        .unwrap();
    let defaults = SshSettings::default();
    assert!(limit >= 8 * (defaults.max_unauthenticated + defaults.max_sessions) as u64);
}
