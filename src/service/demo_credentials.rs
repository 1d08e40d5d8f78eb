//! `DIR/demo-credentials.toml`: the tokens `serve --demo` created, one per role (mode 0600).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::roles::Role;

pub const FILE_NAME: &str = "demo-credentials.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub role: Role,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patronato: Option<String>,
    pub token: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCredentials {
    #[serde(default)]
    pub credential: Vec<Credential>,
}

impl DemoCredentials {
    /// The first credential with this role.
    pub fn for_role(&self, role: Role) -> Option<&Credential> {
        self.credential.iter().find(|c| c.role == role)
    }

    pub fn token(&self, role: Role) -> Option<&str> {
        self.for_role(role).map(|c| c.token.as_str())
    }
}

#[derive(Debug, Error)]
pub enum CredentialsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("could not encode credentials: {0}")]
    Encode(#[from] toml::ser::Error),
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Reads `DIR/demo-credentials.toml`.
pub fn load(data_dir: &Path) -> Result<DemoCredentials, CredentialsError> {
    let path = path(data_dir);
    let text = std::fs::read_to_string(&path).map_err(|source| CredentialsError::Io {
        path: path.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| CredentialsError::Parse { path, source })
}

/// Writes the file readable by its owner only (created with mode 0600, never widened).
pub fn save(data_dir: &Path, credentials: &DemoCredentials) -> Result<(), CredentialsError> {
    let path = path(data_dir);
    let text = format!(
        "# Demo tokens created by `combipat serve --demo`. Keep private.\n{}",
        toml::to_string(credentials)?
    );
    let io = |source| CredentialsError::Io {
        path: path.clone(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let creds = DemoCredentials {
            credential: vec![Credential {
                role: Role::Operator,
                username: "m.rossi".into(),
                office: Some("RM01".into()),
                patronato: None,
                token: "cbp_x".into(),
            }],
        };
        save(dir.path(), &creds).unwrap();
        assert_eq!(load(dir.path()).unwrap(), creds);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
