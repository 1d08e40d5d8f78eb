//! The sections of the config file: `[server]`, `[sla]`, `[calendar]`, `[dashboard]`.
//! `[ssh]` is `crate::ssh::SshSettings` (owner of its semantics: the SSH endpoint).

use std::path::PathBuf;

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Deserializer};

/// `[server]`: a remote central service. Without `url` the workstation runs the embedded one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Base URL, `http://` or `https://`.
    #[serde(deserialize_with = "http_url")]
    pub url: Option<String>,
    /// Bearer token (prefer `token_file`: config files get copied around).
    pub token: Option<String>,
    /// File whose first line is the token; relative to the config file's dir.
    pub token_file: Option<PathBuf>,
    /// For `combipat serve`: the store, `postgres://USER@HOST/DB` or `sqlite:PATH` (default:
    /// the SQLite file in the data dir). `--database` and `COMBIPAT_DATABASE` win over it.
    pub database: Option<String>,
}

/// `[sla]`: where the SLA policy lives. Keys other than `policy` belong to the SLA engine,
/// which reads them from `extra`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SlaConfig {
    /// Policy TOML (targets per topic × priority, thresholds); default: the embedded policy.
    pub policy: Option<PathBuf>,
    #[serde(flatten)]
    pub extra: toml::Table,
}

/// `[calendar]`: ad-hoc closures and office hours on top of the built-in calendar (national
/// holidays, patron saints).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarConfig {
    pub closures: Vec<Closure>,
    pub office_hours: Vec<OfficeHours>,
}

/// `[[calendar.closures]]`: an office (or every office) closed on a day or a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// Office code (`RM01`); absent = every office.
    #[serde(default)]
    pub office: Option<String>,
    #[serde(deserialize_with = "civil_date")]
    pub date: Date,
    /// Last closed day, inclusive; absent = only `date`.
    #[serde(default, deserialize_with = "optional_civil_date")]
    pub until: Option<Date>,
    #[serde(default)]
    pub reason: String,
}

/// `[[calendar.office_hours]]`: opening hours on some weekdays, for one office or as default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHours {
    /// Office code; absent = the default for every office.
    #[serde(default)]
    pub office: Option<String>,
    #[serde(deserialize_with = "weekdays")]
    pub days: Vec<Weekday>,
    #[serde(deserialize_with = "civil_time")]
    pub open: Time,
    #[serde(deserialize_with = "civil_time")]
    pub close: Time,
}

/// `[dashboard]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Show per-operator figures by name. Off by default: Italian law on remote monitoring of
    /// workers (Statuto dei lavoratori, art. 4) allows only aggregated figures unless agreed.
    pub named_operators: bool,
}

fn http_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(deserializer)?;
    let valid = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if !valid {
        return Err(serde::de::Error::custom(format!(
            "`{url}` is not an http:// or https:// URL"
        )));
    }
    Ok(Some(url))
}

fn civil_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    match toml::Value::deserialize(deserializer)? {
        toml::Value::Datetime(toml::value::Datetime {
            date: Some(d),
            time: None,
            offset: None,
        }) => Date::new(d.year as i16, d.month as i8, d.day as i8)
            .map_err(|e| serde::de::Error::custom(format!("bad date: {e}"))),
        toml::Value::String(s) => s
            .parse::<Date>()
            .map_err(|e| serde::de::Error::custom(format!("bad date `{s}`: {e}"))),
        other => Err(serde::de::Error::custom(format!(
            "expected a date like 2026-12-24, found `{other}`"
        ))),
    }
}

fn optional_civil_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Date>, D::Error> {
    civil_date(deserializer).map(Some)
}

fn civil_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
    match toml::Value::deserialize(deserializer)? {
        toml::Value::String(s) => s
            .parse::<Time>()
            .map_err(|e| serde::de::Error::custom(format!("bad time `{s}` (expected HH:MM): {e}"))),
        toml::Value::Datetime(toml::value::Datetime {
            date: None,
            time: Some(t),
            offset: None,
        }) => Time::new(t.hour as i8, t.minute as i8, t.second as i8, 0)
            .map_err(|e| serde::de::Error::custom(format!("bad time: {e}"))),
        other => Err(serde::de::Error::custom(format!(
            "expected a time like \"08:00\", found `{other}`"
        ))),
    }
}

fn weekdays<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Weekday>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    names
        .iter()
        .map(|name| {
            Ok(match name.to_ascii_lowercase().as_str() {
                "mon" | "lun" => Weekday::Monday,
                "tue" | "mar" => Weekday::Tuesday,
                "wed" | "mer" => Weekday::Wednesday,
                "thu" | "gio" => Weekday::Thursday,
                "fri" | "ven" => Weekday::Friday,
                "sat" | "sab" => Weekday::Saturday,
                "sun" | "dom" => Weekday::Sunday,
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "unknown weekday `{name}` (expected mon, tue, wed, thu, fri, sat, sun)"
                    )));
                }
            })
        })
        .collect()
}

/// `[[filters]]`: a saved filter, shown in the workstation's queue sidebar after the standard
/// queues with its live count. Every field given must match (open requests only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFilter {
    /// The label in the sidebar.
    pub name: String,
    /// Patronato code, e.g. `INCA`.
    pub patronato: Option<String>,
    pub topic: Option<crate::domain::request::Topic>,
    pub priority: Option<crate::domain::request::Priority>,
    /// Office code, e.g. `RM01`.
    pub office: Option<String>,
    pub tag: Option<String>,
    /// Case-insensitive text contained in the subject or the citizen's name.
    pub text: Option<String>,
}

impl SavedFilter {
    /// Whether an open request with these fields passes the filter.
    pub fn accepts(&self, r: &crate::api::RequestSummary) -> bool {
        let text = |needle: &str| {
            let needle = needle.to_lowercase();
            r.subject.to_lowercase().contains(&needle)
                || r.citizen_name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&needle))
        };
        self.patronato
            .as_deref()
            .is_none_or(|p| r.patronato.eq_ignore_ascii_case(p))
            && self.topic.is_none_or(|t| r.topic == t)
            && self.priority.is_none_or(|p| r.priority == p)
            && self
                .office
                .as_deref()
                .is_none_or(|o| r.office.eq_ignore_ascii_case(o))
            && self
                .tag
                .as_deref()
                .is_none_or(|t| r.tags.iter().any(|x| x == t))
            && self.text.as_deref().is_none_or(text)
    }
}
