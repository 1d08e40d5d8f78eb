//! The `[ssh]` configuration section: who may connect, with which key, and the limits.

use std::collections::HashMap;
use std::time::Duration;

use russh::keys::PublicKey;
use serde::Deserialize;

use super::SshError;

/// `[ssh]` in the service configuration.
///
/// ```toml
/// [ssh]
/// idle_timeout_secs = 900
/// max_sessions = 32
/// max_failed_auth_per_address = 5
/// ban_secs = 60
/// preauth_timeout_secs = 10
/// max_unauthenticated = 512
/// max_unauthenticated_per_address = 32
/// write_timeout_secs = 30
/// [[ssh.keys]]
/// key = "ssh-ed25519 AAAAC3Nza… anna@laptop"
/// operator = "a.verdi"
/// read_only = true
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSettings {
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    #[serde(default = "default_idle")]
    pub idle_timeout_secs: u64,
    #[serde(default = "default_sessions")]
    pub max_sessions: usize,
    #[serde(default = "default_failures")]
    pub max_failed_auth_per_address: u32,
    /// How long an address stays banned after too many failures. While banned, its unknown keys
    /// are refused without a signature check and it may hold only
    /// [`BANNED_MAX_UNAUTHENTICATED`] unauthenticated connections; a configured key is still
    /// accepted (see `docs/security.md`).
    #[serde(default = "default_ban")]
    pub ban_secs: u64,
    /// A connection that has not authenticated within this time is closed (capped at
    /// [`MAX_PREAUTH_SECS`]).
    #[serde(default = "default_preauth")]
    pub preauth_timeout_secs: u64,
    /// Unauthenticated connections held at once, all addresses together; past it the oldest one
    /// of the address holding the most is closed.
    #[serde(default = "default_unauthenticated")]
    pub max_unauthenticated: usize,
    /// Unauthenticated connections held at once from one address; past it its oldest is closed.
    #[serde(default = "default_unauthenticated_per_address")]
    pub max_unauthenticated_per_address: usize,
    /// A frame the client does not accept within this time ends the session and the connection.
    #[serde(default = "default_write_timeout")]
    pub write_timeout_secs: u64,
}

/// Upper bound of [`SshSettings::preauth_timeout_secs`].
pub const MAX_PREAUTH_SECS: u64 = 10;
/// Unauthenticated connections a banned address may hold at once.
pub const BANNED_MAX_UNAUTHENTICATED: usize = 2;

fn default_idle() -> u64 {
    900
}
fn default_sessions() -> usize {
    32
}
fn default_failures() -> u32 {
    5
}
fn default_ban() -> u64 {
    60
}
fn default_preauth() -> u64 {
    MAX_PREAUTH_SECS
}
fn default_unauthenticated() -> usize {
    512
}
fn default_unauthenticated_per_address() -> usize {
    32
}
fn default_write_timeout() -> u64 {
    30
}

impl Default for SshSettings {
    fn default() -> Self {
        SshSettings {
            keys: Vec::new(),
            idle_timeout_secs: default_idle(),
            max_sessions: default_sessions(),
            max_failed_auth_per_address: default_failures(),
            ban_secs: default_ban(),
            preauth_timeout_secs: default_preauth(),
            max_unauthenticated: default_unauthenticated(),
            max_unauthenticated_per_address: default_unauthenticated_per_address(),
            write_timeout_secs: default_write_timeout(),
        }
    }
}

/// One authorised public key (OpenSSH `authorized_keys` format) and the operator it logs in as.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub key: String,
    pub operator: String,
    /// Forces read-only even if the operator's role could change things.
    #[serde(default = "yes")]
    pub read_only: bool,
}

fn yes() -> bool {
    true
}

/// Who a key logs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdentity {
    pub operator: String,
    pub read_only: bool,
}

/// Parsed keys, looked up by key material (comments ignored).
#[derive(Debug, Clone, Default)]
pub struct AuthorizedKeys {
    by_key: HashMap<Vec<u8>, KeyIdentity>,
}

fn key_bytes(key: &PublicKey) -> Vec<u8> {
    key.to_bytes().unwrap_or_default()
}

impl AuthorizedKeys {
    pub fn from_settings(settings: &SshSettings) -> Result<Self, SshError> {
        let mut by_key = HashMap::new();
        for (index, entry) in settings.keys.iter().enumerate() {
            let key = PublicKey::from_openssh(entry.key.trim()).map_err(|e| SshError::Config {
                field: format!("ssh.keys[{index}].key"),
                reason: e.to_string(),
            })?;
            if entry.operator.trim().is_empty() {
                return Err(SshError::Config {
                    field: format!("ssh.keys[{index}].operator"),
                    reason: "empty".into(),
                });
            }
            by_key.insert(
                key_bytes(&key),
                KeyIdentity {
                    operator: entry.operator.clone(),
                    read_only: entry.read_only,
                },
            );
        }
        Ok(AuthorizedKeys { by_key })
    }

    pub fn identify(&self, key: &PublicKey) -> Option<&KeyIdentity> {
        self.by_key.get(&key_bytes(key))
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl SshSettings {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }
    /// The pre-authentication deadline, 1 to [`MAX_PREAUTH_SECS`] seconds.
    pub fn preauth_timeout(&self) -> Duration {
        Duration::from_secs(self.preauth_timeout_secs.clamp(1, MAX_PREAUTH_SECS))
    }
    pub fn write_timeout(&self) -> Duration {
        Duration::from_secs(self.write_timeout_secs.max(1))
    }
    pub fn ban(&self) -> Duration {
        Duration::from_secs(self.ban_secs)
    }
}
