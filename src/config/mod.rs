//! Workstation configuration: the TOML config file, profiles, paths, canned replies.
//!
//! `Config::load` reads `config.toml` from the config dir (or `--config`), applies the selected
//! `[profiles.NAME]` table over the top level key by key, and checks every value. Errors name the
//! file, the line and the field. The file is optional: without it every default applies and the
//! workstation runs the embedded demo service.

pub mod canned;
pub mod paths;
pub mod sections;
pub mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use crate::ssh::SshSettings as SshConfig;
pub use canned::{CannedReply, TemplateError, TemplateVars};
pub use sections::{
    CalendarConfig, Closure, DashboardConfig, DayTime, OfficeHours, PatronOverride, ServerConfig,
    SlaConfig,
};
pub use source::{Diagnostic, Source};

/// Language of the user interface (`lang = "it" | "en"`).
pub use crate::i18n::Lang;

/// The embedded keymap a config selects (see `keymaps/`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeymapPreset {
    #[default]
    Default,
    Vim,
}

impl KeymapPreset {
    pub fn as_str(self) -> &'static str {
        match self {
            KeymapPreset::Default => "default",
            KeymapPreset::Vim => "vim",
        }
    }
}

/// The whole configuration, after profile selection and validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// UI language: `it` (default) or `en`.
    pub lang: Lang,
    /// Theme name: dark, light, high-contrast, monochrome, or a file `themes/NAME.toml`.
    pub theme: String,
    /// Keymap preset: `default` or `vim`; `keymap.toml` in the config dir overrides it.
    pub keymap: KeymapPreset,
    /// No key or command can change anything.
    pub read_only: bool,
    /// Replying (or asking for integration) on an unassigned request of one's own office takes
    /// it first (default on).
    pub take_before_reply: bool,
    /// Where the embedded service keeps its SQLite file (default: the platform data dir).
    pub data_dir: Option<PathBuf>,
    pub server: ServerConfig,
    pub sla: SlaConfig,
    pub calendar: CalendarConfig,
    pub dashboard: DashboardConfig,
    /// `[workstation]`: the list's window of closed requests.
    pub workstation: sections::WorkstationConfig,
    /// `[agenda]`: appointment slots (length, capacity, channels) and office contact details.
    pub agenda: crate::domain::agenda::AgendaSettings,
    /// `[ssh]`: keys → operators and limits of the built-in SSH endpoint (see `crate::ssh`).
    pub ssh: SshConfig,
    /// Configured templates; after loading, merged over the embedded ones (see `canned`).
    pub canned_replies: Vec<CannedReply>,
    /// `[[filters]]`: saved filters for the queue sidebar.
    pub filters: Vec<sections::SavedFilter>,
    /// Alternative settings selected with `--profile NAME`; read at load time only.
    #[serde(rename = "profiles")]
    profiles_raw: BTreeMap<String, Spanned<Config>>,
    /// The file the config came from, if any.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The profile applied, if any.
    #[serde(skip)]
    pub profile: Option<String>,
    /// Names of every profile in the file.
    #[serde(skip)]
    pub profile_names: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            lang: Lang::It,
            theme: "dark".to_owned(),
            keymap: KeymapPreset::Default,
            read_only: false,
            take_before_reply: true,
            data_dir: None,
            server: ServerConfig::default(),
            sla: SlaConfig::default(),
            calendar: CalendarConfig::default(),
            dashboard: DashboardConfig::default(),
            workstation: sections::WorkstationConfig::default(),
            agenda: Default::default(),
            ssh: SshConfig::default(),
            canned_replies: canned::defaults(),
            filters: Vec::new(),
            profiles_raw: BTreeMap::new(),
            file: None,
            profile: None,
            profile_names: Vec::new(),
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the config file: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostic),
    #[error("{file}: unknown profile `{name}` (available: {available})")]
    UnknownProfile {
        file: String,
        name: String,
        available: String,
    },
    #[error("no config dir on this system: pass --config PATH")]
    NoConfigDir,
}

impl Config {
    /// Loads `path`, or `config.toml` in the config dir when `path` is `None` (a missing default
    /// file means all defaults; a missing explicit file is an error), then applies `profile`.
    pub fn load(path: Option<&Path>, profile: Option<&str>) -> Result<Config, ConfigError> {
        let (file, explicit) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => match paths::default_config_file() {
                Some(p) => (p, false),
                None if profile.is_none() => return Ok(Config::default()),
                None => return Err(ConfigError::NoConfigDir),
            },
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return match profile {
                    None => Ok(Config::default()),
                    Some(name) => Err(ConfigError::UnknownProfile {
                        file: file.display().to_string(),
                        name: name.to_owned(),
                        available: "none: the file does not exist".to_owned(),
                    }),
                };
            }
            Err(source) => return Err(ConfigError::Read { file, source }),
        };
        let mut config = Self::parse(&Source::new(file.display().to_string(), &text), profile)?;
        config.file = Some(file);
        Ok(config)
    }

    /// Parses configuration text (`source.name` is used in messages) and applies `profile`.
    pub fn parse(source: &Source<'_>, profile: Option<&str>) -> Result<Config, ConfigError> {
        let invalid = |e: toml::de::Error| ConfigError::Invalid(source.toml_error(&e));
        let mut config: Config = toml::from_str(source.text).map_err(invalid)?;
        for (name, nested) in &config.profiles_raw {
            if let Some(inner) = nested.get_ref().profiles_raw.keys().next() {
                return Err(ConfigError::Invalid(source.diagnostic(
                    Some(nested.span()),
                    format!("profile `{name}` cannot define profiles (found `{inner}`)"),
                )));
            }
        }
        let profile_names: Vec<String> = config.profiles_raw.keys().cloned().collect();
        if let Some(name) = profile {
            if !config.profiles_raw.contains_key(name) {
                return Err(ConfigError::UnknownProfile {
                    file: source.name.clone(),
                    name: name.to_owned(),
                    available: if profile_names.is_empty() {
                        "none".to_owned()
                    } else {
                        profile_names.join(", ")
                    },
                });
            }
            // Profiles override key by key, so merge the raw tables (already validated above,
            // with line numbers) rather than the typed structs, whose defaults hide what was set.
            let mut root: toml::Table = toml::from_str(source.text).map_err(invalid)?;
            let overlay = match root.remove("profiles") {
                Some(toml::Value::Table(mut profiles)) => match profiles.remove(name) {
                    Some(toml::Value::Table(t)) => t,
                    _ => toml::Table::new(),
                },
                _ => toml::Table::new(),
            };
            merge_tables(&mut root, overlay);
            config = toml::Value::Table(root)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    ConfigError::Invalid(
                        source
                            .diagnostic(None, format!("profile `{name}`: {}", e.message().trim())),
                    )
                })?;
            config.profile = Some(name.to_owned());
        }
        config.profiles_raw.clear();
        config.profile_names = profile_names;
        config.check(source)?;
        config.canned_replies = canned::merge(canned::defaults(), &config.canned_replies);
        Ok(config)
    }

    /// Cross-field checks that serde cannot express.
    fn check(&self, source: &Source<'_>) -> Result<(), ConfigError> {
        let at = |section: &str, key: &str, message: String| {
            let offset = source.locate(self.profile.as_deref(), section, key);
            ConfigError::Invalid(source.diagnostic(offset.map(|o| o..o), message))
        };
        if self.server.token.is_some() && self.server.token_file.is_some() {
            return Err(at(
                "server",
                "token_file",
                "field `server.token_file`: set either `token` or `token_file`, not both".into(),
            ));
        }
        if self.server.url.is_none()
            && (self.server.token.is_some() || self.server.token_file.is_some())
        {
            return Err(at(
                "server",
                "token",
                "field `server.token`: a token needs `server.url`".into(),
            ));
        }
        for hours in &self.calendar.office_hours {
            if hours.open >= hours.close {
                return Err(at(
                    "calendar.office_hours",
                    "close",
                    format!(
                        "field `calendar.office_hours.close`: {} is not after open {}",
                        hours.close, hours.open
                    ),
                ));
            }
        }
        for closure in &self.calendar.closures {
            if closure.until.is_some_and(|until| until < closure.date) {
                return Err(at(
                    "calendar.closures",
                    "until",
                    "field `calendar.closures.until`: before `date`".into(),
                ));
            }
        }
        let mut names: Vec<&str> = self
            .canned_replies
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(at(
                "canned_replies",
                "name",
                format!("field `canned_replies.name`: `{}` appears twice", pair[0]),
            ));
        }
        Ok(())
    }

    /// The data dir to use: the configured one or the platform default.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone().or_else(paths::data_dir)
    }

    /// The config dir holding `keymap.toml` and `themes/`: the dir of the loaded file, else the
    /// platform default.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .or_else(paths::config_dir)
    }

    /// The server token: `server.token`, or the first line of `server.token_file` (relative
    /// paths are relative to the config file's dir).
    pub fn server_token(&self) -> Result<Option<String>, ConfigError> {
        if let Some(token) = &self.server.token {
            return Ok(Some(token.clone()));
        }
        let Some(token_file) = &self.server.token_file else {
            return Ok(None);
        };
        let path = match (token_file.is_relative(), self.config_dir()) {
            (true, Some(dir)) => dir.join(token_file),
            _ => token_file.clone(),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            file: path.clone(),
            source,
        })?;
        let token = text.lines().next().unwrap_or_default().trim().to_owned();
        if token.is_empty() {
            return Err(ConfigError::Invalid(Diagnostic {
                file: path.display().to_string(),
                line: 1,
                column: 1,
                message: "field `server.token_file`: the file is empty".into(),
            }));
        }
        Ok(Some(token))
    }
}

/// Deep merge: tables merge key by key, anything else in `overlay` replaces.
fn merge_tables(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests;
