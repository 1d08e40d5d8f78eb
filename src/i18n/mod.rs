//! UI strings in Italian (default) and English, in one catalog.
