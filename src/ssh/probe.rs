//! A scripted SSH client of the endpoint: used by `combipat bench dashboard-bandwidth` and the
//! SSH tests. It opens a real session (pty of the given TERM and size), can type keys, and
//! records every byte the server writes with the instant it arrived.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::ChannelMsg;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use tokio::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("ssh: {0}")]
    Ssh(#[from] russh::Error),
    #[error("authentication refused")]
    Refused,
    #[error("connect: {0}")]
    Io(#[from] std::io::Error),
}

struct PinnedHost {
    expected: Option<PublicKey>,
}

impl russh::client::Handler for PinnedHost {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        offered: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(match (&self.expected, offered) {
            (None, _) => true,
            (Some(expected), PublicKeyOrCertificate::PublicKey { key, .. }) => {
                expected.key_data() == key.key_data()
            }
            (Some(_), PublicKeyOrCertificate::Certificate(_)) => false,
        })
    }
}

/// An open interactive session.
pub struct ProbeSession {
    _handle: russh::client::Handle<PinnedHost>,
    channel: russh::Channel<russh::client::Msg>,
    /// Everything received so far.
    pub received: Vec<u8>,
    /// (instant, bytes) of each data packet.
    pub packets: Vec<(Instant, usize)>,
    pub closed: bool,
}

/// Connects, authenticates with `key`, asks for a pty and a shell.
pub async fn connect(
    addr: SocketAddr,
    key: PrivateKey,
    host_key: Option<PublicKey>,
    term: &str,
    cols: u32,
    rows: u32,
) -> Result<ProbeSession, ProbeError> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    connect_stream(tcp, key, host_key, term, cols, rows).await
}

/// [`connect`] from a chosen local address (e.g. another loopback address, `127.0.0.7`).
pub async fn connect_from(
    source: std::net::IpAddr,
    addr: SocketAddr,
    key: PrivateKey,
    term: &str,
) -> Result<ProbeSession, ProbeError> {
    let socket = match source {
        std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(source, 0))?;
    let tcp = socket.connect(addr).await?;
    connect_stream(tcp, key, None, term, 120, 40).await
}

/// [`connect`] over an already connected stream (e.g. through a test proxy).
pub async fn connect_stream(
    tcp: tokio::net::TcpStream,
    key: PrivateKey,
    host_key: Option<PublicKey>,
    term: &str,
    cols: u32,
    rows: u32,
) -> Result<ProbeSession, ProbeError> {
    let _ = tcp.set_nodelay(true);
    let config = Arc::new(russh::client::Config::default());
    let mut handle =
        russh::client::connect_stream(config, tcp, PinnedHost { expected: host_key }).await?;
    let auth = handle
        .authenticate_publickey(
            "supervisor",
            PrivateKeyWithHashAlg::new(Arc::new(key), None),
        )
        .await?;
    if !auth.success() {
        return Err(ProbeError::Refused);
    }
    let channel = handle.channel_open_session().await?;
    channel
        .request_pty(false, term, cols, rows, 0, 0, &[])
        .await?;
    channel.request_shell(false).await?;
    Ok(ProbeSession {
        _handle: handle,
        channel,
        received: Vec::new(),
        packets: Vec::new(),
        closed: false,
    })
}

impl ProbeSession {
    pub async fn send(&self, bytes: &[u8]) -> Result<(), ProbeError> {
        self.channel.data(bytes).await?;
        Ok(())
    }

    /// Tells the server the terminal changed size (the server redraws the whole screen).
    pub async fn resize(&self, cols: u32, rows: u32) -> Result<(), ProbeError> {
        self.channel.window_change(cols, rows, 0, 0).await?;
        Ok(())
    }

    /// Reads until `done(received)` holds, the channel closes, or `limit` passes.
    /// Returns whether `done` held.
    pub async fn read_until(&mut self, limit: Duration, done: impl Fn(&[u8]) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while !done(&self.received) {
            if self.closed {
                return false;
            }
            match tokio::time::timeout_at(deadline, self.channel.wait()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(ChannelMsg::Close)) | Ok(Some(ChannelMsg::Eof)) => {
                    self.closed = true
                }
                Ok(Some(ChannelMsg::Data { data })) => {
                    self.packets.push((Instant::now(), data.len()));
                    self.received.extend_from_slice(&data);
                }
                Ok(Some(_)) => {}
            }
        }
        true
    }

    /// Reads everything for `duration`.
    pub async fn read_for(&mut self, duration: Duration) {
        let _ = self.read_until(duration, |_| false).await;
    }

    /// Text received so far, with escape sequences left in.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.received).into_owned()
    }
}

/// Result of an idle-bandwidth measurement.
#[derive(Debug, Clone)]
pub struct BandwidthReport {
    pub term: String,
    pub cols: u32,
    pub rows: u32,
    pub first_paint_bytes: usize,
    pub idle_bytes: usize,
    pub idle_secs: f64,
    /// Bytes of terminal queries (DSR `ESC [ 6 n`, DA `ESC [ c`, …) seen in the output.
    pub queries: usize,
}

impl BandwidthReport {
    pub fn bytes_per_sec(&self) -> f64 {
        self.idle_bytes as f64 / self.idle_secs.max(f64::EPSILON)
    }
}

/// Sequences by which a program asks the terminal something (each is a round trip over SSH).
pub fn count_queries(output: &[u8]) -> usize {
    const QUERIES: [&[u8]; 6] = [
        b"\x1b[6n",
        b"\x1b[c",
        b"\x1b[>c",
        b"\x1b[0c",
        b"\x1b]11;?",
        b"\x1b[?u",
    ];
    QUERIES
        .iter()
        .map(|q| output.windows(q.len()).filter(|w| w == q).count())
        .sum()
}

/// Connects, waits `warmup` for the first paint to finish, then counts bytes for `idle`.
pub async fn measure_idle(
    addr: SocketAddr,
    key: PrivateKey,
    term: &str,
    cols: u32,
    rows: u32,
    warmup: Duration,
    idle: Duration,
) -> Result<BandwidthReport, ProbeError> {
    let mut session = connect(addr, key, None, term, cols, rows).await?;
    session.read_for(warmup).await;
    let first_paint_bytes = session.received.len();
    let started = Instant::now();
    session.read_for(idle).await;
    let idle_secs = started.elapsed().as_secs_f64();
    Ok(BandwidthReport {
        term: term.to_string(),
        cols,
        rows,
        first_paint_bytes,
        idle_bytes: session.received.len() - first_paint_bytes,
        idle_secs,
        queries: count_queries(&session.received),
    })
}
