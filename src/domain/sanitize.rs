//! The one sanitiser for untrusted text before it reaches a terminal or a log (DESIGN.md §6).
