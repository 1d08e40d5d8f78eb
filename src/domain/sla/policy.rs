//! SLA policy: targets per topic × priority and alert thresholds, read from TOML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

use super::ClockKind;
use crate::domain::calendar::Measure;
use crate::domain::request::{Priority, Topic};

/// The policy shipped inside the binary.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default_policy.toml");

/// Percentages of the target at which a clock turns warning, critical, breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Thresholds {
    pub warning: u16,
    pub critical: u16,
    pub breach: u16,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            warning: 75,
            critical: 90,
            breach: 100,
        }
    }
}

/// A target duration in business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    BusinessHours(u32),
    /// Business days on the office calendar: due at the same position of the day N business
    /// days later, however long each day is open.
    BusinessDays(u32),
}

/// Targets for each clock kind; `None` falls back to the policy default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindTargets {
    pub presa_in_carico: Option<Target>,
    pub first_reply: Option<Target>,
    pub next_reply: Option<Target>,
    pub resolution: Option<Target>,
}

impl KindTargets {
    fn get(&self, kind: ClockKind) -> Option<Target> {
        match kind {
            ClockKind::PresaInCarico => self.presa_in_carico,
            ClockKind::FirstReply => self.first_reply,
            ClockKind::NextReply => self.next_reply,
            ClockKind::Resolution => self.resolution,
        }
    }
}

/// A validated SLA policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub thresholds: Thresholds,
    /// What one business day is worth in figures: a day target of N days is N × this × 3600
    /// units, each business day of the office worth this × 3600 however long it is open.
    pub business_day_hours: u32,
    pub default: KindTargets,
    pub targets: BTreeMap<(Topic, Priority), KindTargets>,
}

/// An invalid policy file: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{line}: {reason}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// Other top-level tables are allowed, so the application config file is a valid policy file.
#[derive(Deserialize)]
struct RawFile {
    sla: Spanned<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    /// Path of a policy file, used by the application config; ignored here.
    #[serde(default)]
    #[allow(dead_code)]
    policy: Option<String>,
    warning: Option<Spanned<u16>>,
    critical: Option<Spanned<u16>>,
    breach: Option<Spanned<u16>>,
    business_day_hours: Option<Spanned<u32>>,
    default: Option<RawTargets>,
    #[serde(default)]
    targets: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, RawTargets>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    presa_in_carico: Option<Spanned<String>>,
    first_reply: Option<Spanned<String>>,
    next_reply: Option<Spanned<String>>,
    resolution: Option<Spanned<String>>,
}

impl Policy {
    /// The embedded default policy.
    pub fn embedded() -> Result<Self, PolicyError> {
        Self::from_toml(DEFAULT_POLICY_TOML, "<embedded default policy>")
    }

    /// Parses and validates a policy (an `[sla]` table); `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, PolicyError> {
        let fail = |offset: usize, reason: String| PolicyError {
            file: file.to_string(),
            line: line_of(text, offset),
            reason,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            fail(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        let section_start = raw.sla.span().start;
        let raw = raw.sla.into_inner();
        let pct = |value: &Option<Spanned<u16>>, default: u16| {
            value
                .as_ref()
                .map_or((default, section_start), |v| (*v.get_ref(), v.span().start))
        };
        let (warning, _) = pct(&raw.warning, 75);
        let (critical, critical_at) = pct(&raw.critical, 90);
        let (breach, breach_at) = pct(&raw.breach, 100);
        if warning == 0 || warning >= critical {
            return Err(fail(
                critical_at,
                format!("thresholds must satisfy 0 < warning ({warning}) < critical ({critical})"),
            ));
        }
        if critical > breach || breach > 1000 {
            return Err(fail(
                breach_at,
                format!(
                    "thresholds must satisfy critical ({critical}) <= breach ({breach}) <= 1000"
                ),
            ));
        }
        let business_day_hours = match &raw.business_day_hours {
            Some(v) if (1..=24).contains(v.get_ref()) => *v.get_ref(),
            Some(v) => {
                return Err(fail(
                    v.span().start,
                    "business_day_hours must be between 1 and 24".into(),
                ));
            }
            None => 10,
        };
        let convert = |raw: &RawTargets| -> Result<KindTargets, PolicyError> {
            let one = |value: &Option<Spanned<String>>| -> Result<Option<Target>, PolicyError> {
                value
                    .as_ref()
                    .map(|v| {
                        parse_target(v.get_ref()).map_err(|reason| fail(v.span().start, reason))
                    })
                    .transpose()
            };
            Ok(KindTargets {
                presa_in_carico: one(&raw.presa_in_carico)?,
                first_reply: one(&raw.first_reply)?,
                next_reply: one(&raw.next_reply)?,
                resolution: one(&raw.resolution)?,
            })
        };
        let default = match &raw.default {
            Some(d) => convert(d)?,
            None => KindTargets::default(),
        };
        if let Some(kind) = ClockKind::ALL
            .into_iter()
            .find(|k| default.get(*k).is_none())
        {
            return Err(fail(
                section_start,
                format!("[sla.default] lacks a target for '{}'", kind.code()),
            ));
        }
        let mut targets = BTreeMap::new();
        for (topic_key, by_priority) in &raw.targets {
            let topic = Topic::from_code(topic_key.get_ref()).ok_or_else(|| {
                fail(
                    topic_key.span().start,
                    format!("unknown topic '{}'", topic_key.get_ref()),
                )
            })?;
            for (priority_key, raw_targets) in by_priority {
                let priority = Priority::from_code(priority_key.get_ref()).ok_or_else(|| {
                    fail(
                        priority_key.span().start,
                        format!("unknown priority '{}'", priority_key.get_ref()),
                    )
                })?;
                targets.insert((topic, priority), convert(raw_targets)?);
            }
        }
        Ok(Self {
            thresholds: Thresholds {
                warning,
                critical,
                breach,
            },
            business_day_hours,
            default,
            targets,
        })
    }

    /// The target of a clock kind for a topic and priority, with how it is counted: `Nh` is
    /// N × 3600 business seconds; `Nd` is N business days, each worth
    /// [`Policy::business_day_hours`] × 3600 units however long the office is open that day.
    pub fn target(&self, kind: ClockKind, topic: Topic, priority: Priority) -> (i64, Measure) {
        let day = i64::from(self.business_day_hours) * 3600;
        match self.target_of(kind, topic, priority) {
            Some(Target::BusinessDays(d)) => (i64::from(d) * day, Measure::Days { units: day }),
            _ => (self.target_secs(kind, topic, priority), Measure::Seconds),
        }
    }

    fn target_of(&self, kind: ClockKind, topic: Topic, priority: Priority) -> Option<Target> {
        self.targets
            .get(&(topic, priority))
            .and_then(|t| t.get(kind))
            .or(self.default.get(kind))
    }

    /// The target of a clock kind for a topic and priority in business seconds, a business day
    /// taken as [`Policy::business_day_hours`] hours (figures that need one scale, e.g. the
    /// cruscotto's averages; clocks use [`Policy::target`]).
    pub fn target_secs(&self, kind: ClockKind, topic: Topic, priority: Priority) -> i64 {
        match self.target_of(kind, topic, priority) {
            Some(Target::BusinessHours(h)) => i64::from(h) * 3600,
            Some(Target::BusinessDays(d)) => {
                i64::from(d) * i64::from(self.business_day_hours) * 3600
            }
            // Unreachable after validation (the default covers every kind); a zero target would
            // show as breached at once, which is the safe reading of a missing target.
            None => 0,
        }
    }
}

/// `"8h"` = 8 business hours, `"3d"` = 3 business days.
fn parse_target(text: &str) -> Result<Target, String> {
    let bad = || {
        format!(
            "'{text}' is not a target: write e.g. \"8h\" (business hours) or \"3d\" (business days)"
        )
    };
    let (number, unit) = text.trim().split_at(text.trim().len().saturating_sub(1));
    let n: u32 = number.parse().map_err(|_| bad())?;
    if n == 0 || n > 10_000 {
        return Err(format!("target '{text}' must be between 1 and 10000"));
    }
    match unit {
        "h" => Ok(Target::BusinessHours(n)),
        "d" => Ok(Target::BusinessDays(n)),
        _ => Err(bad()),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}
