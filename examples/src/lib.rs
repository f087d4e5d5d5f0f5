//! Shared helpers for the examples.

pub mod clusters;
pub mod platform_api;
