//! Business calendars of INPS offices (issue 3).
