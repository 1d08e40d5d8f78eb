//! The sections of the config file: `[server]`, `[sla]`, `[calendar]`, `[dashboard]`.
//! `[ssh]` is `crate::ssh::SshSettings` (owner of its semantics: the SSH endpoint).

use std::path::PathBuf;

use jiff::civil::{Date, Weekday};
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
    /// For `combipat serve`: hours an `Idempotency-Key` is remembered (default 24). A retry
    /// after that is a new write.
    pub idempotency_hours: Option<u32>,
    /// For `combipat serve`: days of events kept for resuming streams (default 7); a client
    /// resuming from before gets `resync`. The audit log is never pruned.
    pub event_retention_days: Option<u32>,
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
    /// `[[calendar.patron]]`: an office's patron day other than its comune's in the registry.
    pub patron: Vec<PatronOverride>,
    /// When a patron day falls on a national holiday, close on the next working day instead
    /// (some collective agreements give one). Off by default; `substitute` per office wins.
    pub patron_substitute: bool,
}

/// `[[calendar.patron]]`: the patron day of one office. Give exactly one of `date` (`"MM-DD"`),
/// `easter_offset` (days after Easter Sunday: Whit Monday is 50), `month` + `nth` + `weekday`
/// (Asti: `month = 5, nth = 1, weekday = "tue"`), or `none = true` (no patron day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatronOverride {
    pub office: String,
    #[serde(default)]
    pub saint: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub easter_offset: Option<i16>,
    #[serde(default)]
    pub month: Option<i8>,
    #[serde(default)]
    pub nth: Option<i8>,
    #[serde(default, deserialize_with = "optional_weekday")]
    pub weekday: Option<Weekday>,
    #[serde(default)]
    pub none: bool,
    #[serde(default)]
    pub substitute: Option<bool>,
}

/// A time of day in minutes from midnight, `"00:00"` to `"24:00"` (a desk open until midnight
/// closes at 24:00, which a clock time cannot say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayTime(u16);

impl DayTime {
    pub const MIDNIGHT_END: DayTime = DayTime(24 * 60);

    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn from_hm(hour: u8, minute: u8) -> Option<DayTime> {
        match (hour, minute) {
            (24, 0) => Some(Self::MIDNIGHT_END),
            (0..=23, 0..=59) => Some(DayTime(u16::from(hour) * 60 + u16::from(minute))),
            _ => None,
        }
    }
}

impl std::fmt::Display for DayTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl std::str::FromStr for DayTime {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("bad time `{text}` (expected HH:MM, 00:00 to 24:00)");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let hour: u8 = h.parse().map_err(|_| bad())?;
        let minute: u8 = m.parse().map_err(|_| bad())?;
        DayTime::from_hm(hour, minute).ok_or_else(bad)
    }
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
    #[serde(deserialize_with = "day_time")]
    pub open: DayTime,
    #[serde(deserialize_with = "day_time")]
    pub close: DayTime,
}

/// `[workstation]`: how the operator's list is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkstationConfig {
    /// The list holds the open requests plus those closed in the last this many days (0: open
    /// ones only). Older closed requests stay reachable through search and the dossier.
    pub closed_days: u32,
}

impl Default for WorkstationConfig {
    fn default() -> Self {
        WorkstationConfig { closed_days: 30 }
    }
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

fn day_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DayTime, D::Error> {
    match toml::Value::deserialize(deserializer)? {
        toml::Value::String(s) => s.parse::<DayTime>().map_err(serde::de::Error::custom),
        toml::Value::Datetime(toml::value::Datetime {
            date: None,
            time: Some(t),
            offset: None,
        }) if t.second == 0 => {
            DayTime::from_hm(t.hour, t.minute).ok_or_else(|| serde::de::Error::custom("bad time"))
        }
        other => Err(serde::de::Error::custom(format!(
            "expected a time like \"08:00\" (or \"24:00\"), found `{other}`"
        ))),
    }
}

fn weekday_name<E: serde::de::Error>(name: &str) -> Result<Weekday, E> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "mon" | "lun" => Weekday::Monday,
        "tue" | "mar" => Weekday::Tuesday,
        "wed" | "mer" => Weekday::Wednesday,
        "thu" | "gio" => Weekday::Thursday,
        "fri" | "ven" => Weekday::Friday,
        "sat" | "sab" => Weekday::Saturday,
        "sun" | "dom" => Weekday::Sunday,
        _ => {
            return Err(E::custom(format!(
                "unknown weekday `{name}` (expected mon, tue, wed, thu, fri, sat, sun)"
            )));
        }
    })
}

fn optional_weekday<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Weekday>, D::Error> {
    weekday_name(&String::deserialize(deserializer)?).map(Some)
}

fn weekdays<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Weekday>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    names.iter().map(|name| weekday_name(name)).collect()
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
