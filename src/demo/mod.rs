//! Realistic synthetic data: a deterministic seed dataset and a live traffic simulator.

pub mod agenda;
pub mod dashboard;
mod generate;
pub mod names;
pub mod simulate;
pub mod texts;

pub use generate::{GeneratedRequests, generate, generate_streamed};

pub use crate::domain::dataset::Dataset;

/// How much [`generate`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSize {
    /// The first `offices` of `registry::offices()`.
    pub offices: usize,
    /// INPS staff in total: one admin, one auditor, `supervisors`, the rest operators.
    pub staff: usize,
    pub supervisors: usize,
    pub citizens: usize,
    pub requests: usize,
    /// Requests are filed over this many days before `now`.
    pub days: i64,
}

impl DemoSize {
    /// The full demo: every office, 40 staff, 5,000 citizens, 20,000 requests over 90 days.
    pub fn full() -> Self {
        DemoSize {
            offices: crate::domain::registry::offices().len(),
            staff: 40,
            supervisors: 6,
            citizens: 5_000,
            requests: 20_000,
            days: 90,
        }
    }

    /// The full demo scaled to `requests` (citizens and staff grow with it, as in an office
    /// network that handles that many).
    pub fn with_requests(requests: usize) -> Self {
        let full = Self::full();
        let scale = requests.div_ceil(full.requests).max(1);
        DemoSize {
            staff: full.staff * scale.min(50),
            supervisors: full.supervisors * scale.min(50),
            citizens: (requests / 4).max(full.citizens),
            requests,
            ..full
        }
    }

    /// About two offices' worth, for tests and snapshots.
    pub fn small() -> Self {
        DemoSize {
            offices: 2,
            staff: 8,
            supervisors: 2,
            citizens: 150,
            requests: 200,
            days: 90,
        }
    }
}
