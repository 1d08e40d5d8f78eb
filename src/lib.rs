//! combipat: COMBIPAT workstation, central service and client.
//!
//! Layers (data flows one way): `domain` ← `api` ← `service` / `client` ← `tui`.
//! `demo` builds synthetic data; `cli` is the edge that parses arguments and reports errors.

pub mod api;
pub mod cli;
pub mod client;
pub mod config;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod parallel;
pub mod service;
pub mod ssh;
pub mod tui;
