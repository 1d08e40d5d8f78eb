//! Registries: patronati, offices (sedi), comuni.
