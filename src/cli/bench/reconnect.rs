//! `combipat bench reconnect`: what a workstation transfers to come back after an outage,
//! against what it transfers to load its list (the baseline, measured in the same run).
//!
//! A service is seeded with N requests; the demo operator's workstation (the real client, the
//! real live-update loop, the real list state) reaches it through a TCP relay on loopback that
//! counts every byte both ways. The relay then cuts every connection and refuses new ones for
//! the outage while other staff write to the service directly; when it lets connections through
//! again, the workstation reconnects and catches up. Figures: bytes of the full load, bytes of
//! the catch-up, their ratio, and whether the list then equals the service's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{bail, eyre};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::api::{NewMessage, RequestFilter};
use crate::client::{Client, ClientOptions, IdempotencyKey};
use crate::domain::request::MessageKind;
use crate::domain::roles::Role;
use crate::i18n::Lang;
use crate::tui::gateway::Gateway;
use crate::tui::remote::ClientGateway;
use crate::tui::state::{Operator, State};
use crate::tui::update::{Msg, update};

#[derive(Debug, clap::Args)]
pub struct ReconnectBenchArgs {
    /// Requests seeded (the operator's office holds a share of them).
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Writes by others during the outage.
    #[arg(long, default_value_t = 5)]
    pub writes: usize,
    /// Length of the outage, in seconds.
    #[arg(long, default_value_t = 60)]
    pub outage: u64,
    /// `[workstation] closed_days` of the workstation.
    #[arg(long, default_value_t = 30)]
    pub closed_days: u32,
}

pub fn run(args: ReconnectBenchArgs) -> color_eyre::Result<()> {
    if args.requests == 0 {
        bail!("--requests must be positive");
    }
    super::super::runtime()?.block_on(async move {
        let dir = super::dashboard_bandwidth::tempfile_dir()?;
        let seeding = Instant::now();
        let config = crate::service::ServiceConfig::new(([127, 0, 0, 1], 0).into(), dir.join("service"))
            .with_demo(true)
            .with_demo_data(crate::service::DemoData::Generated(
                crate::demo::DemoSize::with_requests(args.requests),
            ));
        let running = crate::service::start(config).await?;
        let credentials = running
            .credentials()
            .cloned()
            .ok_or_else(|| eyre!("the demo service has no credentials"))?;
        let token = |role| {
            credentials
                .token(role)
                .map(str::to_string)
                .ok_or_else(|| eyre!("no demo token for {role:?}"))
        };
        println!(
            "seeded {} requests in {:.1} s",
            args.requests,
            seeding.elapsed().as_secs_f64()
        );
        let relay = Relay::start(running.addr()).await?;
        let operator = token(Role::Operator)?;
        let options = ClientOptions {
            // One workstation: the spread only delays this measurement.
            reconnect_spread: Duration::from_millis(200),
            ..ClientOptions::default()
        };
        let client = Client::new(&relay.url(), &operator, options.clone())?;
        let me = client.me().await?;
        let gateway: Arc<dyn Gateway> = Arc::new(
            ClientGateway::new(client).with_closed_days(Some(args.closed_days)),
        );
        let (tx, mut rx) = mpsc::unbounded_channel();
        let events = gateway
            .events()
            .ok_or_else(|| eyre!("the gateway has no event stream"))?;
        let live_gateway = Arc::clone(&gateway);
        let username = me.username.clone();
        let live = tokio::spawn(async move {
            crate::tui::live::run(events, live_gateway.as_ref(), &username, &tx).await;
        });
        let mut state = State::new(
            Lang::En,
            Operator {
                username: me.username.clone(),
                office: me.office.clone().unwrap_or_default(),
            },
            jiff::Timestamp::now(),
        );

        let loading = Instant::now();
        let mut first_page = None;
        until(&mut rx, &mut state, |msg| {
            if matches!(msg, Msg::Page { first: true, .. }) {
                first_page.get_or_insert_with(|| loading.elapsed());
            }
            matches!(msg, Msg::Page { more: false, .. })
        })
        .await?;
        let loaded = loading.elapsed();
        let full = relay.take();
        let rows = state.requests.len();
        println!(
            "full load (baseline): {rows} rows, {} down + {} up = {} bytes, first page after {:.2} s, whole list after {:.2} s",
            full.down,
            full.up,
            full.total(),
            first_page.unwrap_or(loaded).as_secs_f64(),
            loaded.as_secs_f64()
        );

        // The outage: every connection cut, none let through; others keep writing.
        relay.cut(true);
        until(&mut rx, &mut state, |msg| matches!(msg, Msg::Offline(true))).await?;
        let staff = Client::new(&running.base_url(), &token(Role::Supervisor)?, options)?;
        let targets: Vec<_> = state
            .requests
            .iter()
            .filter(|r| r.status.is_open())
            .take(args.writes)
            .map(|r| (r.id.clone(), r.version))
            .collect();
        for (id, version) in &targets {
            staff
                .add_message(
                    id,
                    &NewMessage {
                        kind: MessageKind::InternalNote,
                        body: "nota scritta durante il fermo".into(),
                    },
                    Some(*version),
                    &IdempotencyKey::new(),
                )
                .await?;
        }
        tokio::time::sleep(Duration::from_secs(args.outage)).await;
        let _during = relay.take();
        relay.cut(false);
        let back = Instant::now();
        until(&mut rx, &mut state, |msg| matches!(msg, Msg::Changed { .. })).await?;
        let caught_up = back.elapsed();
        // The events of the outage are replayed on the stream too (and skipped: the catch-up
        // already reflects them); count them in.
        settle(&mut rx, &mut state).await;
        let catch_up = relay.take();
        println!(
            "catch-up after {} s outage with {} writes: {} down + {} up = {} bytes, list up to date {:.2} s after the service came back",
            args.outage,
            targets.len(),
            catch_up.down,
            catch_up.up,
            catch_up.total(),
            caught_up.as_secs_f64()
        );
        println!(
            "catch-up / full load: {:.4} % (goal < 1 % at 1M requests)",
            catch_up.total() as f64 * 100.0 / full.total().max(1) as f64
        );
        let server = Client::new(&running.base_url(), &operator, ClientOptions::default())?
            .list_all_requests(&RequestFilter {
                limit: Some(500),
                closed_since: jiff::Timestamp::now()
                    .checked_sub(jiff::SignedDuration::from_hours(
                        24 * i64::from(args.closed_days),
                    ))
                    .ok(),
                ..RequestFilter::default()
            })
            .await?;
        let key = |r: &crate::api::RequestSummary| (r.id.clone(), r.version, r.status);
        let mut ours: Vec<_> = state.requests.iter().map(key).collect();
        let mut theirs: Vec<_> = server.iter().map(key).collect();
        ours.sort();
        theirs.sort();
        println!(
            "workstation list equals the service's after the catch-up: {}",
            if ours == theirs { "yes" } else { "NO" }
        );
        live.abort();
        relay.stop();
        running.shutdown().await?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}

/// Applies live messages to `state` until `done` holds after one.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    state: &mut State,
    mut done: impl FnMut(&Msg) -> bool,
) -> color_eyre::Result<()> {
    let patience = Duration::from_secs(600);
    tokio::time::timeout(patience, async {
        while let Some(msg) = rx.recv().await {
            let stop = done(&msg);
            update(state, msg);
            if stop {
                return Ok(());
            }
        }
        Err(eyre!("live updates ended"))
    })
    .await
    .map_err(|_| eyre!("nothing for {patience:?}"))?
}

/// Applies what arrives until nothing has for a second.
async fn settle(rx: &mut mpsc::UnboundedReceiver<Msg>, state: &mut State) {
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
        update(state, msg);
    }
}

/// Bytes through the relay since the last [`Relay::take`].
#[derive(Debug, Clone, Copy)]
struct Bytes {
    /// Service → workstation.
    down: u64,
    /// Workstation → service.
    up: u64,
}

impl Bytes {
    fn total(self) -> u64 {
        self.down + self.up
    }
}

/// A TCP relay on loopback that counts bytes both ways and can cut every connection.
struct Relay {
    addr: std::net::SocketAddr,
    down: Arc<AtomicU64>,
    up: Arc<AtomicU64>,
    cut: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> std::io::Result<Relay> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (cut, _) = watch::channel(false);
        let (down, up) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let accept = tokio::spawn({
            let (down, up, cut) = (down.clone(), up.clone(), cut.clone());
            async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    if *cut.borrow() {
                        // Refused: the connection closes at once, as a service that is down.
                        continue;
                    }
                    let (down, up, cut) = (down.clone(), up.clone(), cut.subscribe());
                    tokio::spawn(async move {
                        if let Ok(outbound) = TcpStream::connect(target).await {
                            pipe(inbound, outbound, &down, &up, cut).await;
                        }
                    });
                }
            }
        });
        Ok(Relay {
            addr,
            down,
            up,
            cut,
            accept,
        })
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn take(&self) -> Bytes {
        Bytes {
            down: self.down.swap(0, Ordering::Relaxed),
            up: self.up.swap(0, Ordering::Relaxed),
        }
    }

    fn cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }

    fn stop(self) {
        self.accept.abort();
        self.cut(true);
    }
}

/// Copies both ways, counting, until either side closes or the relay cuts.
async fn pipe(
    inbound: TcpStream,
    outbound: TcpStream,
    down: &AtomicU64,
    up: &AtomicU64,
    mut cut: watch::Receiver<bool>,
) {
    let (mut in_read, mut in_write) = inbound.into_split();
    let (mut out_read, mut out_write) = outbound.into_split();
    let upward = copy(&mut in_read, &mut out_write, up);
    let downward = copy(&mut out_read, &mut in_write, down);
    tokio::select! {
        _ = upward => {}
        _ = downward => {}
        _ = cut.wait_for(|cut| *cut) => {}
    }
}

async fn copy(
    from: &mut (impl AsyncReadExt + Unpin),
    to: &mut (impl AsyncWriteExt + Unpin),
    counter: &AtomicU64,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
