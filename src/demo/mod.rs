//! Realistic synthetic data: a deterministic seed dataset and a live traffic simulator.

pub mod simulate;

use crate::domain::mandate::{Application, Citizen, Mandate};
use crate::domain::office::Office;
use crate::domain::request::Request;
use crate::domain::roles::Operator;

/// Everything `demo seed` puts into an empty store. Pure data, built deterministically from a seed.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub offices: Vec<Office>,
    pub operators: Vec<Operator>,
    pub citizens: Vec<Citizen>,
    pub mandates: Vec<Mandate>,
    /// (citizen codice fiscale, application)
    pub applications: Vec<(String, Application)>,
    pub requests: Vec<Request>,
}
