//! A cruscotto computed from the deterministic demo dataset with the real office calendars and
//! the embedded SLA policy: used by snapshots, SSH tests and the bandwidth bench.

use jiff::Timestamp;

use crate::demo::{DemoSize, generate};
use crate::domain::calendar::CalendarSet;
use crate::domain::dashboard::{
    Dashboard, DashboardOptions, RequestFacts, SlaCalendars, Targets, compute,
};
use crate::domain::sla::Policy;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("calendar: {0}")]
    Calendar(String),
    #[error("policy: {0}")]
    Policy(String),
}

/// Facts of every request of the small demo dataset at `now`.
pub fn demo_facts(seed: u64, now: Timestamp) -> Result<(Vec<RequestFacts>, Policy), FixtureError> {
    let dataset = generate(seed, DemoSize::small(), now);
    let policy = Policy::embedded().map_err(|e| FixtureError::Policy(e.to_string()))?;
    let facts = dataset
        .requests
        .iter()
        .map(|r| RequestFacts::from_request(r, Targets::from_policy(&policy, r.topic, r.priority)))
        .collect();
    Ok((facts, policy))
}

/// The cruscotto of the small demo dataset at `now`.
pub fn demo_dashboard(seed: u64, now: Timestamp) -> Result<Dashboard, FixtureError> {
    let (facts, policy) = demo_facts(seed, now)?;
    let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
    let calendars = CalendarSet::from_registry(CalendarSet::years_around(year), |_, _| {})
        .map_err(|e| FixtureError::Calendar(e.to_string()))?;
    let clock = SlaCalendars {
        calendars: &calendars,
        business_day_hours: policy.business_day_hours,
    };
    let options = DashboardOptions {
        warning_percent: u32::from(policy.thresholds.warning),
        ..DashboardOptions::default()
    };
    Ok(compute(&facts, &clock, now, &options))
}
