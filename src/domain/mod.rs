//! The pure core: types, rules, SLA maths, calendars, codice fiscale. No I/O, no async.

pub mod agenda;
pub mod calendar;
mod coded;
pub mod codice_fiscale;
pub mod csv;
pub mod dashboard;
pub mod dataset;
pub mod mandate;
pub mod office;
pub mod registry;
pub mod request;
pub mod roles;
pub mod sanitize;
pub mod sla;
