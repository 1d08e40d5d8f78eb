//! Drafts of replies, notes and integration requests, one file per request and kind under
//! `<data dir>/drafts`, so an answer half-written survives a closed dialog, a crash or a
//! restart. Files are written whole (temporary sibling, then rename) and private (0600).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::domain::request::RequestId;
use crate::tui::state::InputKind;

/// Which draft: the request and what is being written to it.
pub type DraftKey = (RequestId, InputKind);

/// The kinds of text kept as drafts (the one-line fields are not worth keeping).
pub fn kept(kind: InputKind) -> bool {
    matches!(
        kind,
        InputKind::Reply | InputKind::Note | InputKind::Integration
    )
}

fn kind_name(kind: InputKind) -> Option<&'static str> {
    match kind {
        InputKind::Reply => Some("reply"),
        InputKind::Note => Some("note"),
        InputKind::Integration => Some("integration"),
        InputKind::Tag | InputKind::Assign | InputKind::Jump => None,
    }
}

fn kind_of(name: &str) -> Option<InputKind> {
    [InputKind::Reply, InputKind::Note, InputKind::Integration]
        .into_iter()
        .find(|k| kind_name(*k) == Some(name))
}

/// The drafts directory under the workstation's data dir.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("drafts")
}

/// `<drafts>/<id>.<kind>.txt`; `None` for kinds not kept.
pub fn path(data_dir: &Path, key: &DraftKey) -> Option<PathBuf> {
    let kind = kind_name(key.1)?;
    Some(dir(data_dir).join(format!("{}.{kind}.txt", key.0.as_str())))
}

/// Every draft on disk. Unreadable or foreign files are skipped: a draft is a convenience,
/// never a reason not to start.
pub fn load(data_dir: &Path) -> HashMap<DraftKey, String> {
    let mut drafts = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir(data_dir)) else {
        return drafts;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".txt") else {
            continue;
        };
        let Some((id, kind)) = stem.rsplit_once('.') else {
            continue;
        };
        let (Ok(id), Some(kind)) = (RequestId::parse(id), kind_of(kind)) else {
            continue;
        };
        if let Ok(text) = std::fs::read_to_string(entry.path())
            && !text.trim().is_empty()
        {
            drafts.insert((id, kind), text);
        }
    }
    drafts
}

/// Writes `text` to `path` atomically (a private temporary file in the same directory,
/// renamed over it); `None` deletes the draft.
pub fn write(path: &Path, text: Option<&str>) -> std::io::Result<()> {
    match text {
        None => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
        Some(text) => {
            let parent = path.parent().unwrap_or_else(|| Path::new("."));
            std::fs::create_dir_all(parent)?;
            let mut file = tempfile::NamedTempFile::new_in(parent)?;
            file.write_all(text.as_bytes())?;
            file.as_file().sync_all()?;
            file.persist(path).map_err(|e| e.error)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_round_trip_and_deleting_twice_is_fine() {
        let home = tempfile::tempdir().unwrap();
        let key = (RequestId::new(2026, 12), InputKind::Reply);
        let file = path(home.path(), &key).unwrap();
        write(&file, Some("Gentile patronato,\nseconda riga")).unwrap();
        std::fs::write(dir(home.path()).join("stray.txt"), "x").unwrap();
        let loaded = load(home.path());
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[&key], "Gentile patronato,\nseconda riga");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        write(&file, None).unwrap();
        write(&file, None).unwrap();
        assert!(load(home.path()).is_empty());
        assert!(path(home.path(), &(key.0, InputKind::Tag)).is_none());
    }
}
