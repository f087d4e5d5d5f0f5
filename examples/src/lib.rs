//! Shared helpers for the examples.

pub mod platform_api;
