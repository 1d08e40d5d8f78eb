//! The endpoint's persistent host key: generated once in the data dir (mode 0600), then reused
//! so that clients' `known_hosts` entries stay valid across restarts.

use std::io::Write;
use std::path::Path;

use russh::keys::PrivateKey;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::Ed25519Keypair;

use super::SshError;

pub const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";

/// Loads `dir/ssh_host_ed25519_key`, or generates and writes it (0600) when absent.
pub fn load_or_generate(dir: &Path) -> Result<PrivateKey, SshError> {
    let path = dir.join(HOST_KEY_FILE);
    if path.exists() {
        crate::service::private_files::tighten_file(&path).map_err(|e| SshError::HostKey {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        return PrivateKey::read_openssh_file(&path).map_err(|e| SshError::HostKey {
            path: path.display().to_string(),
            reason: e.to_string(),
        });
    }
    let io = |e: std::io::Error| SshError::HostKey {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    crate::service::private_files::ensure_private_dir(dir).map_err(io)?;
    // rand's thread RNG is a CSPRNG seeded from the OS.
    let seed: [u8; 32] = rand::random();
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| SshError::HostKey {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(key)
}
