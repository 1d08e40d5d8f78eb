//! The operator workstation: state → update → view, on ratatui + crossterm.

pub mod dashboard;

pub mod action;
