//! SLA clocks and policies (issue 3).
