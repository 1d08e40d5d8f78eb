//! A whole dataset as imported into an empty store (demo seed, migrations of other systems).

use crate::domain::mandate::{Application, Citizen, Mandate};
use crate::domain::office::Office;
use crate::domain::request::Request;
use crate::domain::roles::Operator;

/// Everything an import puts into an empty store: pure data (the demo builds one from a seed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    pub offices: Vec<Office>,
    pub operators: Vec<Operator>,
    pub citizens: Vec<Citizen>,
    pub mandates: Vec<Mandate>,
    /// (citizen codice fiscale, application)
    pub applications: Vec<(String, Application)>,
    pub requests: Vec<Request>,
}
