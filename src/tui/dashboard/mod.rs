//! The cruscotto view: state, key handling and a pure view over `domain::dashboard` figures.
//!
//! Shared by the workstation (opened with the `dashboard` action), `combipat dashboard`, and the
//! built-in SSH endpoint (one [`DashboardState`] per SSH session).

pub mod drill;
pub mod embed;
pub mod input;
pub mod state;
pub mod style;
pub mod terminal;
pub mod text;
pub mod view;
pub mod views;

pub use state::{DashboardAction, DashboardOutcome, DashboardState};
pub use style::DashStyles;
pub use view::render;
