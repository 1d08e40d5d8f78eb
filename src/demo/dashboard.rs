//! A cruscotto computed from the small deterministic demo dataset with the real office calendars and
//! the embedded SLA policy: used by snapshots, SSH tests and the bandwidth bench.

use jiff::Timestamp;

use crate::demo::{DemoSize, generate};
use crate::domain::dashboard::{
    Dashboard, FiguresError, RequestFacts, Targets, compute_with_policy,
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
    compute_with_policy(&facts, &policy, now).map_err(|e| match e {
        FiguresError::Calendar(m) => FixtureError::Calendar(m),
        FiguresError::Policy(m) => FixtureError::Policy(m),
    })
}
