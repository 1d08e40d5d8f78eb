//! Workstation configuration: config file, profiles, paths.
