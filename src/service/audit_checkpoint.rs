//! The audit checkpoint file: `DATA_DIR/audit-checkpoints.log`, the anchor of the audit chain
//! outside the database (see [`crate::service::core::audit_ring`]).
//!
//! The service appends a line — the head's sequence number and hash, the time, HMAC'd under the
//! audit key — at start, every [`DEFAULT_INTERVAL`] while the head moves, and at clean shutdown.
//! The file is 0600, opened with `O_APPEND` and synced after each line; nothing ever rewrites
//! it. `combipat audit verify` and `GET /v1/audit/verify` then require the chain to contain
//! every checkpointed entry with the same hash, so deleting the newest entries is detected.
//!
//! With several PostgreSQL nodes each node keeps its own file in its own data dir: a database
//! writer can reach none of them, and a node's file vouches for the heads that node saw.
//! Verify on each node (or on any node holding every node's file lines, which can be
//! concatenated: each line authenticates on its own).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::core::App;
use super::private_files;

pub const FILE: &str = "audit-checkpoints.log";

/// How often a running service checkpoints the audit head (when it moved).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The append-only checkpoint file of one data dir.
#[derive(Debug)]
pub struct CheckpointLog {
    path: PathBuf,
}

impl CheckpointLog {
    pub fn new(path: PathBuf) -> Self {
        CheckpointLog { path }
    }

    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(path(data_dir))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every line written so far (none when the file does not exist yet).
    pub fn lines(&self) -> std::io::Result<Vec<String>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(text.lines().map(str::to_string).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Appends one line (in one `write`, with `O_APPEND`) and syncs it to disk.
    pub fn append(&self, line: &str) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(private_files::FILE_MODE);
        }
        let mut file = options.open(&self.path)?;
        private_files::tighten_file(&self.path)?;
        file.write_all(format!("{line}\n").as_bytes())?;
        file.sync_data()
    }
}

/// Checkpoints the audit head every `interval` until `stop` (the shutdown writes the last one).
pub fn spawn(
    store: Arc<dyn App>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
            write_one(store.as_ref()).await;
        }
    })
}

/// Writes a checkpoint of the current head if it moved; a failure is logged, not fatal (the
/// chain itself is unaffected; only the anchor of the newest entries is late).
pub async fn write_one(store: &dyn App) {
    match store.checkpoint_audit().await {
        Ok(Some(checkpoint)) => tracing::debug!(seq = checkpoint.seq, "audit head checkpointed"),
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "audit checkpoint not written"),
    }
}
