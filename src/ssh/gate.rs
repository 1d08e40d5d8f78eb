//! Admission control of the SSH endpoint, before and around authentication:
//!
//! - every accepted TCP connection is *pending* until it authenticates; pending connections are
//!   capped globally and per address. Past a cap the **oldest** pending connection is closed
//!   (of the same address for the per-address cap, of the address holding the most for the global
//!   one), never the newcomer: connections held open by an attacker cannot keep a colleague out,
//!   whose handshake takes milliseconds;
//! - each connection has a [`KillSwitch`]: its stream ([`Killable`]) fails every read and write
//!   once killed, so the session task ends and the socket closes whatever the peer does (used by
//!   the pre-authentication deadline, evictions, the write timeout and shutdown);
//! - failed authentications are counted per address; past the limit the address is banned for a
//!   short while (logged with address and expiry).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::settings::{BANNED_MAX_UNAUTHENTICATED, SshSettings};

/// Ends one connection from outside its task.
#[derive(Debug, Default)]
pub(crate) struct KillSwitch {
    killed: AtomicBool,
    authenticated: AtomicBool,
    read: AtomicWaker,
    write: AtomicWaker,
}

impl KillSwitch {
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.read.wake();
        self.write.wake();
    }
    pub(crate) fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
    pub(crate) fn set_authenticated(&self) {
        self.authenticated.store(true, Ordering::SeqCst);
    }
    pub(crate) fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }
}

fn killed_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "connection closed by the endpoint",
    )
}

/// A stream that fails once its [`KillSwitch`] is thrown.
pub(crate) struct Killable<S> {
    inner: S,
    switch: Arc<KillSwitch>,
}

impl<S> Killable<S> {
    pub(crate) fn new(inner: S, switch: Arc<KillSwitch>) -> Self {
        Killable { inner, switch }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Killable<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.switch.read.register(cx.waker());
        if self.switch.is_killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Killable<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.switch.write.register(cx.waker());
        if self.switch.is_killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.switch.write.register(cx.waker());
        if self.switch.is_killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.switch.is_killed() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The unit caps and bans count by: an IPv4 address (IPv4-mapped IPv6 included), or the /64 of
/// an IPv6 address (what one customer line usually gets).
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[derive(Debug)]
struct Failures {
    count: u32,
    last: Instant,
    banned_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Pending connections per address, oldest first.
    pending: HashMap<IpAddr, VecDeque<(u64, Arc<KillSwitch>)>>,
    total: usize,
    failures: HashMap<IpAddr, Failures>,
    evicted_since_log: u64,
    last_eviction_log: Option<Instant>,
}

impl State {
    fn remove(&mut self, ip: IpAddr, id: u64) {
        if let Some(queue) = self.pending.get_mut(&ip)
            && let Some(position) = queue.iter().position(|(i, _)| *i == id)
        {
            queue.remove(position);
            self.total -= 1;
            if queue.is_empty() {
                self.pending.remove(&ip);
            }
        }
    }

    fn evict_oldest_of(&mut self, ip: IpAddr) -> bool {
        let Some(queue) = self.pending.get_mut(&ip) else {
            return false;
        };
        let Some((_, switch)) = queue.pop_front() else {
            return false;
        };
        switch.kill();
        self.total -= 1;
        if queue.is_empty() {
            self.pending.remove(&ip);
        }
        self.evicted_since_log += 1;
        true
    }

    /// The oldest pending connection of the address holding the most.
    fn evict_from_largest(&mut self) -> bool {
        let largest = self
            .pending
            .iter()
            .max_by_key(|(_, queue)| queue.len())
            .map(|(ip, _)| *ip);
        largest.is_some_and(|ip| self.evict_oldest_of(ip))
    }

    fn banned(&mut self, ip: IpAddr, now: Instant) -> bool {
        match self.failures.get(&ip) {
            Some(Failures {
                banned_until: Some(until),
                ..
            }) if *until > now => true,
            Some(Failures {
                banned_until: Some(_),
                ..
            }) => {
                // Ban over: the address starts again from zero.
                self.failures.remove(&ip);
                false
            }
            _ => false,
        }
    }
}

/// Outcome of recording a failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Counted,
    /// This failure started a ban of this length.
    Banned(Duration),
    /// The address was already banned.
    AlreadyBanned,
}

/// Admission state shared by the accept loop and every connection.
#[derive(Debug)]
pub(crate) struct Gate {
    max_total: usize,
    max_per_address: usize,
    max_failures: u32,
    ban: Duration,
    state: Mutex<State>,
}

/// A connection's place among the pending ones; dropping it (or authenticating) frees it.
#[derive(Debug)]
pub(crate) struct Pending {
    gate: Arc<Gate>,
    ip: IpAddr,
    id: u64,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.remove(self.ip, self.id);
    }
}

const EVICTION_LOG_EVERY: Duration = Duration::from_secs(10);

impl Gate {
    pub(crate) fn new(settings: &SshSettings) -> Arc<Self> {
        Arc::new(Gate {
            max_total: settings.max_unauthenticated.max(1),
            max_per_address: settings.max_unauthenticated_per_address.max(1),
            max_failures: settings.max_failed_auth_per_address.max(1),
            ban: settings.ban(),
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves counts that are still consistent enough to go on.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new unauthenticated connection, closing older ones past the caps.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr, switch: Arc<KillSwitch>) -> Pending {
        let ip = address_key(ip);
        let now = Instant::now();
        let mut state = self.lock();
        let per_address = if state.banned(ip, now) {
            BANNED_MAX_UNAUTHENTICATED.min(self.max_per_address)
        } else {
            self.max_per_address
        };
        while state.pending.get(&ip).map_or(0, VecDeque::len) >= per_address {
            if !state.evict_oldest_of(ip) {
                break;
            }
        }
        while state.total >= self.max_total {
            if !state.evict_from_largest() {
                break;
            }
        }
        if state.evicted_since_log > 0
            && state
                .last_eviction_log
                .is_none_or(|at| now.duration_since(at) >= EVICTION_LOG_EVERY)
        {
            tracing::warn!(
                peer = %ip,
                closed = state.evicted_since_log,
                pending = state.total,
                "ssh: unauthenticated connection caps reached; oldest pending connections closed"
            );
            state.evicted_since_log = 0;
            state.last_eviction_log = Some(now);
        }
        let id = state.next_id;
        state.next_id += 1;
        state.pending.entry(ip).or_default().push_back((id, switch));
        state.total += 1;
        Pending {
            gate: self.clone(),
            ip,
            id,
        }
    }

    /// Closes the oldest pending connection of the busiest address (to free a file descriptor).
    pub(crate) fn evict_one(&self) -> bool {
        self.lock().evict_from_largest()
    }

    /// Unauthenticated connections held now.
    pub(crate) fn pending(&self) -> usize {
        self.lock().total
    }

    pub(crate) fn is_banned(&self, ip: IpAddr) -> bool {
        self.lock().banned(address_key(ip), Instant::now())
    }

    /// Counts one failed authentication of `ip`; failures older than the ban length are
    /// forgotten.
    pub(crate) fn record_failure(&self, ip: IpAddr) -> Failure {
        let ip = address_key(ip);
        let now = Instant::now();
        let mut state = self.lock();
        if state.banned(ip, now) {
            return Failure::AlreadyBanned;
        }
        let entry = state.failures.entry(ip).or_insert(Failures {
            count: 0,
            last: now,
            banned_until: None,
        });
        if now.duration_since(entry.last) >= self.ban {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
        if entry.count >= self.max_failures {
            entry.banned_until = Some(now + self.ban);
            return Failure::Banned(self.ban);
        }
        // Keep the table bounded: forget quiet addresses.
        if state.failures.len() > 10_000 {
            let ban = self.ban;
            state
                .failures
                .retain(|_, f| f.banned_until.is_some() || now.duration_since(f.last) < ban);
        }
        Failure::Counted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(total: usize, per_address: usize) -> Arc<Gate> {
        Gate::new(&SshSettings {
            max_unauthenticated: total,
            max_unauthenticated_per_address: per_address,
            max_failed_auth_per_address: 3,
            ban_secs: 60,
            ..SshSettings::default()
        })
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn per_address_cap_closes_the_oldest_of_that_address() {
        let gate = gate(100, 2);
        let switches: Vec<_> = (0..3).map(|_| Arc::new(KillSwitch::default())).collect();
        let other = Arc::new(KillSwitch::default());
        let _o = gate.admit(ip(2), other.clone());
        let held: Vec<_> = switches
            .iter()
            .map(|s| gate.admit(ip(1), s.clone()))
            .collect();
        assert!(switches[0].is_killed());
        assert!(!switches[1].is_killed() && !switches[2].is_killed());
        assert!(!other.is_killed());
        assert_eq!(gate.pending(), 3);
        drop(held);
        assert_eq!(gate.pending(), 1);
    }

    #[test]
    fn global_cap_closes_the_oldest_of_the_busiest_address() {
        let gate = gate(3, 10);
        let lone = Arc::new(KillSwitch::default());
        let busy: Vec<_> = (0..2).map(|_| Arc::new(KillSwitch::default())).collect();
        let _l = gate.admit(ip(1), lone.clone());
        let _b: Vec<_> = busy.iter().map(|s| gate.admit(ip(2), s.clone())).collect();
        let newcomer = Arc::new(KillSwitch::default());
        let _n = gate.admit(ip(3), newcomer.clone());
        assert!(busy[0].is_killed());
        assert!(!lone.is_killed() && !busy[1].is_killed() && !newcomer.is_killed());
        assert_eq!(gate.pending(), 3);
        assert!(gate.evict_one());
        assert_eq!(gate.pending(), 2);
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), IpAddr::from([192, 0, 2, 7]));
    }

    #[test]
    fn failures_ban_the_address_and_shrink_its_cap() {
        let gate = gate(100, 10);
        assert_eq!(gate.record_failure(ip(1)), Failure::Counted);
        assert_eq!(gate.record_failure(ip(1)), Failure::Counted);
        assert_eq!(
            gate.record_failure(ip(1)),
            Failure::Banned(Duration::from_secs(60))
        );
        assert_eq!(gate.record_failure(ip(1)), Failure::AlreadyBanned);
        assert!(gate.is_banned(ip(1)));
        assert!(!gate.is_banned(ip(2)));
        let switches: Vec<_> = (0..3).map(|_| Arc::new(KillSwitch::default())).collect();
        let _held: Vec<_> = switches
            .iter()
            .map(|s| gate.admit(ip(1), s.clone()))
            .collect();
        assert!(switches[0].is_killed());
        assert!(!switches[2].is_killed());
    }
}
