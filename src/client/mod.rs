//! Async client of the central service: every endpoint, retries, SSE with resume.
