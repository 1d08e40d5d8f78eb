//! The operator workstation: state → update → view, on ratatui + crossterm.

pub mod keymap;
pub mod theme;
