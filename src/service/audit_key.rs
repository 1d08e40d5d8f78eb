//! Where the audit key comes from: `COMBIPAT_AUDIT_KEY` (hex) when set — the way to give every
//! node of a PostgreSQL deployment the same key — else `DATA_DIR/audit.key` (hex, mode 0600),
//! created at first start. The key never goes into the database.
//!
//! Keys rotated out ([`rotate`]) are kept for verification only, in `DATA_DIR/audit-keys/`
//! (`<key id>.key`, 0600, in a 0700 dir) and in `COMBIPAT_AUDIT_RETIRED_KEYS` (hex keys separated
//! by commas or spaces). Together with the current key they form the ring the chain is verified
//! with; entries name the key that made them.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::core::{AuditKey, AuditKeyRing};
use super::private_files;

pub const ENV: &str = "COMBIPAT_AUDIT_KEY";
pub const FILE: &str = "audit.key";
pub const RETIRED_ENV: &str = "COMBIPAT_AUDIT_RETIRED_KEYS";
pub const RETIRED_DIR: &str = "audit-keys";

#[derive(Debug, Error)]
pub enum AuditKeyError {
    #[error("{ENV}: expected at least 64 hex digits (32 bytes)")]
    BadEnv,
    #[error("{}: expected at least 64 hex digits (32 bytes)", .0.display())]
    BadFile(PathBuf),
    #[error("{RETIRED_ENV}: expected hex keys of at least 64 digits, separated by commas")]
    BadRetiredEnv,
    #[error(
        "{ENV} is set, so the key is kept by whoever sets the environment: put its value into \
         {RETIRED_ENV} (with the keys retired before), set {ENV} to a new key \
         (`openssl rand -hex 32`) on every node, and restart them"
    )]
    KeyFromEnvironment,
    #[error("{}: a different key with this id is already retired there", .0.display())]
    RetiredClash(PathBuf),
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
            write_private(&path, &key, true).map_err(io)?;
            tracing::info!(file = %path.display(), "audit key created; back it up apart from the database");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

/// The current key (as [`load_or_create`]) with every retired key.
pub fn load_ring(data_dir: &Path) -> Result<AuditKeyRing, AuditKeyError> {
    let current = load_or_create(data_dir)?;
    let mut retired = Vec::new();
    if let Ok(text) = std::env::var(RETIRED_ENV) {
        for word in text.split([',', ' ', '\n', '\t']).filter(|w| !w.is_empty()) {
            retired.push(AuditKey::from_hex(word).ok_or(AuditKeyError::BadRetiredEnv)?);
        }
    }
    let dir = data_dir.join(RETIRED_DIR);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AuditKeyError::Io { path, source }
    };
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            let mut paths = Vec::new();
            for entry in entries {
                let path = entry.map_err(io(&dir))?.path();
                if path.extension().is_some_and(|e| e == "key") {
                    paths.push(path);
                }
            }
            paths.sort();
            for path in paths {
                private_files::tighten_file(&path).map_err(io(&path))?;
                let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                retired.push(AuditKey::from_hex(&text).ok_or(AuditKeyError::BadFile(path))?);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&dir)(e)),
    }
    Ok(AuditKeyRing::new(current, retired))
}

/// The ids of the key retired and of the key that replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub retired: String,
    pub current: String,
}

/// Retires the data dir's key to `audit-keys/<id>.key` and writes a new `audit.key`. Run with
/// the service stopped: a running service keeps its key until restarted. Safe to run again after
/// a crash halfway (the retired copy is written first, and only once).
pub fn rotate(data_dir: &Path) -> Result<Rotation, AuditKeyError> {
    if std::env::var(ENV).is_ok_and(|text| !text.trim().is_empty()) {
        return Err(AuditKeyError::KeyFromEnvironment);
    }
    let old = load_or_create(data_dir)?;
    let dir = data_dir.join(RETIRED_DIR);
    let retired_path = dir.join(format!("{}.key", old.id()));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AuditKeyError::Io { path, source }
    };
    private_files::ensure_private_dir(&dir).map_err(io(&dir))?;
    match write_private(&retired_path, &old, true) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let kept = std::fs::read_to_string(&retired_path).map_err(io(&retired_path))?;
            if AuditKey::from_hex(&kept).map(|k| k.to_hex()) != Some(old.to_hex()) {
                return Err(AuditKeyError::RetiredClash(retired_path));
            }
        }
        Err(e) => return Err(io(&retired_path)(e)),
    }
    let new = AuditKey::generate();
    let current_path = path(data_dir);
    let partial = data_dir.join(format!("{FILE}.new"));
    write_private(&partial, &new, false).map_err(io(&partial))?;
    std::fs::rename(&partial, &current_path).map_err(io(&current_path))?;
    std::fs::File::open(data_dir)
        .and_then(|d| d.sync_all())
        .map_err(io(data_dir))?;
    tracing::info!(retired = %old.id(), current = %new.id(), "audit key rotated");
    Ok(Rotation {
        retired: old.id(),
        current: new.id(),
    })
}

/// Writes `key` as hex to a 0600 file and syncs it; `exclusive` refuses an existing file.
fn write_private(path: &Path, key: &AuditKey, exclusive: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if exclusive {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(private_files::FILE_MODE);
    }
    let mut file = options.open(path)?;
    private_files::tighten_file(path)?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
    file.sync_all()
}
