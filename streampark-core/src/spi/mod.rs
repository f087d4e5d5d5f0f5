//! Helpers for backend authors. Less stable than the rest of the API (like OpenDAL's `raw`).

mod http;
mod jars;

pub use http::{http_client, http_client_builder, redact_url};
pub use jars::{JarLocation, check_jars};
