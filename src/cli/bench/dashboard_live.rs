//! `combipat bench dashboard-bandwidth --live`: the cruscotto over SSH on the real service
//! while the figures change.
//!
//! A data dir is seeded with `--requests` generated requests; `combipat serve --ssh` (this very
//! binary, a child process, so its CPU time is its own) serves it; the patronato simulator files
//! and answers requests at `--rate` actions a minute through the HTTP API. Measured, each over
//! `--seconds`: the service's CPU with no session (the simulator's writes alone), with one
//! supervisor session at `--cols`×`--rows` (and that session's bytes per second), and with
//! `--sessions` sessions on the same scope. The figure is the ratio of the last two: sessions of
//! one scope share the service's computation of their figures (and reload only on change).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{WrapErr, eyre};
use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;

use crate::client::{Client, ClientOptions};
use crate::demo::simulate::{self, SimulateConfig};
use crate::domain::roles::Role;
use crate::ssh::probe;

#[derive(Debug, Clone, Copy)]
pub struct LiveArgs {
    pub cols: u32,
    pub rows: u32,
    pub seconds: u64,
    pub sessions: usize,
    pub requests: usize,
    pub rate_per_minute: f64,
}

/// The child service; killed on drop.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// User + system CPU seconds the process has used (`/proc/<pid>/stat`, fields 14 and 15).
fn cpu_seconds(pid: u32) -> color_eyre::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .wrap_err("service CPU time: /proc is needed")?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| eyre!("unreadable /proc/{pid}/stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> color_eyre::Result<f64> {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .ok_or_else(|| eyre!("unreadable /proc/{pid}/stat"))
    };
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    // After ')' the fields start at 3 (state): utime is field 14, stime field 15.
    Ok((ticks(11)? + ticks(12)?) / per_second)
}

/// The service's CPU milliseconds per second over `window`.
async fn cpu_rate(pid: u32, window: Duration) -> color_eyre::Result<f64> {
    let (before, started) = (cpu_seconds(pid)?, Instant::now());
    tokio::time::sleep(window).await;
    let used = cpu_seconds(pid)? - before;
    Ok(used * 1000.0 / started.elapsed().as_secs_f64())
}

/// Keeps a session reading in its own task (a client that stops reading would be disconnected
/// by the write timeout); the bytes it has received so far, first paint included.
fn keep_reading(mut session: probe::ProbeSession, stop: Arc<AtomicBool>) -> Arc<AtomicU64> {
    // Counted from what the session already received, so that a reading taken right after
    // this call includes the first paint and a later difference is only what came since.
    let mut counted = session.received.len();
    let bytes = Arc::new(AtomicU64::new(counted as u64));
    let counter = Arc::clone(&bytes);
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) && !session.closed {
            session.read_for(Duration::from_millis(200)).await;
            let received = session.received.len();
            counter.fetch_add((received - counted) as u64, Ordering::Relaxed);
            counted = received;
            // Keep the memory flat: only the count matters from here on.
            if received > 1 << 20 {
                session.received.clear();
                counted = 0;
            }
        }
    });
    bytes
}

pub async fn run(args: LiveArgs) -> color_eyre::Result<()> {
    let (running, dir, credentials) = super::seeded_service(args.requests).await?;
    running.shutdown().await?;
    let supervisor = credentials
        .for_role(Role::Supervisor)
        .ok_or_else(|| eyre!("the demo data has no supervisor"))?
        .clone();
    let patronato = credentials
        .for_role(Role::Patronato)
        .ok_or_else(|| eyre!("the demo data has no patronato client"))?
        .clone();
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&rand::random()));
    let keys_file = dir.join("bench-ssh-keys.toml");
    std::fs::write(
        &keys_file,
        format!(
            "[ssh]\nmax_sessions = {}\n[[ssh.keys]]\nkey = \"{}\"\noperator = \"{}\"\n",
            args.sessions + 8,
            key.public_key().to_openssh()?,
            supervisor.username
        ),
    )?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", "127.0.0.1:0", "--ssh", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(&dir)
        .arg("--ssh-keys")
        .arg(&keys_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .wrap_err("starting combipat serve")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| eyre!("no stdout of combipat serve"))?;
    let service = Service(child);
    let pid = service.0.id();
    let mut lines = BufReader::new(stdout).lines();
    let (mut url, mut ssh_addr) = (None, None);
    while ssh_addr.is_none() {
        let line = lines
            .next()
            .ok_or_else(|| eyre!("combipat serve ended before listening"))??;
        if let Some(at) = line.strip_prefix("combipat service listening on ") {
            url = Some(at.to_string());
        }
        if let Some(at) = line.strip_prefix("combipat ssh dashboard listening on ") {
            ssh_addr = Some(at.parse::<std::net::SocketAddr>()?);
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let (url, ssh_addr) = (
        url.ok_or_else(|| eyre!("no service URL printed"))?,
        ssh_addr.ok_or_else(|| eyre!("no SSH address printed"))?,
    );

    // The figures change: the patronato simulator files and answers through the API.
    let client = Client::new(&url, &patronato.token, ClientOptions::default())?;
    let (stop_simulator, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = SimulateConfig {
        rate_per_minute: args.rate_per_minute,
        seed: Some(7),
        ..SimulateConfig::default()
    };
    let simulator = tokio::spawn(async move {
        simulate::run(&client, config, async {
            let _ = stopped.await;
        })
        .await
    });
    let window = Duration::from_secs(args.seconds);
    println!(
        "live cruscotto over SSH at {}x{}: {} requests, simulator at {} actions/min, {} s per figure",
        args.cols, args.rows, args.requests, args.rate_per_minute, args.seconds
    );
    // Warm-up: the simulator finds its citizens, the counters are built.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let no_session = cpu_rate(pid, window).await?;
    println!("service CPU, no session:            {no_session:8.1} ms/s");

    let stop = Arc::new(AtomicBool::new(false));
    let connect = || {
        probe::connect(
            ssh_addr,
            key.clone(),
            None,
            "xterm-256color",
            args.cols,
            args.rows,
        )
    };
    let mut first = connect().await.map_err(|e| eyre!("ssh: {e}"))?;
    // The first paint, then the live figure.
    first.read_for(Duration::from_secs(3)).await;
    let first = keep_reading(first, Arc::clone(&stop));
    let bytes_before = first.load(Ordering::Relaxed);
    let measured = Instant::now();
    let one_session = cpu_rate(pid, window).await?;
    let per_sec =
        (first.load(Ordering::Relaxed) - bytes_before) as f64 / measured.elapsed().as_secs_f64();
    println!(
        "service CPU, 1 session:             {one_session:8.1} ms/s   session writes {per_sec:.0} B/s \
         ({:.2} of the 2048 B/s goal)",
        per_sec / 2048.0
    );

    for _ in 1..args.sessions {
        let mut session = connect().await.map_err(|e| eyre!("ssh: {e}"))?;
        session
            .read_until(Duration::from_secs(10), |b| b.len() > 1000)
            .await;
        keep_reading(session, Arc::clone(&stop));
    }
    // Let the first paints and the first reloads of the new sessions pass.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let many = cpu_rate(pid, window).await?;
    // CPU time is counted in clock ticks (10 ms): below that the ratio means nothing.
    let ratio = if one_session >= 1.0 {
        format!("{:.2}× one session's (goal ≤ 2)", many / one_session)
    } else {
        "no ratio: one session used under 1 ms/s (raise --rate or --seconds)".to_string()
    };
    println!(
        "service CPU, {} sessions:          {many:8.1} ms/s   {ratio}",
        args.sessions
    );
    stop.store(true, Ordering::Relaxed);
    let _ = stop_simulator.send(());
    let report = simulator
        .await
        .map_err(|e| eyre!("simulator: {e}"))?
        .map_err(|e| eyre!("simulator: {e}"))?;
    println!(
        "simulator: filed {}, answered {}, failed {}",
        report.filed, report.answered, report.failed
    );
    drop(service);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
