//! The operator workstation: state → update → view, on ratatui + crossterm.

pub mod dashboard;

pub mod action;
pub mod agenda;
pub mod app;
pub mod availability;
pub mod detail;
pub mod drafts;
pub mod editor;
pub mod export;
pub mod export_audit;
pub mod filter;
pub mod fixture;
pub mod gateway;
pub mod headless;
pub mod input;
pub mod keymap;
mod list_index;
pub mod live;
pub mod outbox;
pub mod remote;
pub mod state;
pub mod theme;
pub mod update;
pub mod view;
