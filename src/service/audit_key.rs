//! Where the audit key comes from: `COMBIPAT_AUDIT_KEY` (hex) when set — the way to give every
//! node of a PostgreSQL deployment the same key — else `DATA_DIR/audit.key` (hex, mode 0600),
//! created at first start. The key never goes into the database.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::core::AuditKey;
use super::private_files;

pub const ENV: &str = "COMBIPAT_AUDIT_KEY";
pub const FILE: &str = "audit.key";

#[derive(Debug, Error)]
pub enum AuditKeyError {
    #[error("{ENV}: expected at least 64 hex digits (32 bytes)")]
    BadEnv,
    #[error("{}: expected at least 64 hex digits (32 bytes)", .0.display())]
    BadFile(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The audit key of a data dir (creating it when there is none and the environment gives none).
pub fn load_or_create(data_dir: &Path) -> Result<AuditKey, AuditKeyError> {
    if let Ok(text) = std::env::var(ENV)
        && !text.trim().is_empty()
    {
        return AuditKey::from_hex(&text).ok_or(AuditKeyError::BadEnv);
    }
    let path = path(data_dir);
    let io = |source| AuditKeyError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            private_files::tighten_file(&path).map_err(io)?;
            AuditKey::from_hex(&text).ok_or_else(|| AuditKeyError::BadFile(path.clone()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            private_files::ensure_private_dir(data_dir).map_err(io)?;
            let key = AuditKey::generate();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(private_files::FILE_MODE);
            }
            let mut file = options.open(&path).map_err(io)?;
            file.write_all(format!("{}\n", key.to_hex()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            tracing::info!(file = %path.display(), "audit key created; back it up apart from the database");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}
