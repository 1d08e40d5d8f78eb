//! The central service: axum REST + SSE over a storage trait (SQLite by default).
