//! The public error type: one enum of categories (STYLE.md 2.4).
//!
//! Each variant names the backend and *what* went wrong *where*. `Display` describes this layer
//! only and never repeats its `source()`; walk the chain for the causes. Retry only when
//! [`Error::is_retryable`] says so **and** the operation is idempotent or fenced by its attempt tag.

use std::time::Duration;

/// A boxed cause, kept as [`std::error::Error::source`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in streampark-rs, by category.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The job, deployment, savepoint or file does not exist.
    #[error("{backend}: {what} not found")]
    NotFound {
        /// Backend that answered (`"sim"`, `"flink"`, `"yarn"`, …).
        backend: &'static str,
        /// What was looked for, e.g. `job 3f2a…` or `log file jobmanager.log`.
        what: String,
    },
    /// Input from the caller (a spec, a script, a name, an answer) is malformed.
    #[error("{backend}: invalid {what} at {at}: {reason}")]
    InvalidInput {
        /// Backend or component that checked it.
        backend: &'static str,
        /// What was invalid (`job id`, `SQL script`, `JSON answer`, …).
        what: String,
        /// Where: a field, a line/column, an endpoint.
        at: String,
        /// Why, in the user's terms.
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("{backend}: invalid configuration `{key}`: {reason}")]
    InvalidConfig {
        /// Backend or builder.
        backend: &'static str,
        /// The key (or builder setter) at fault.
        key: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A configuration key is not known (typos never fall back to defaults).
    #[error("{backend}: unknown configuration key `{key}`")]
    UnknownConfigKey {
        /// Backend or builder.
        backend: &'static str,
        /// The unknown key.
        key: String,
    },
    /// The cluster refused the program: a jar that fails to start, a SQL script Flink rejects.
    /// `message` carries the cluster's own error text.
    #[error("{backend}: {operation} rejected: {message}")]
    Rejected {
        /// Backend that refused.
        backend: &'static str,
        /// The operation, e.g. `POST /jars/:id/run`.
        operation: String,
        /// The cluster's own words (first lines of Flink's error, say).
        message: String,
        /// Underlying cause, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// This attempt of the job is already live (or was already used): nothing was started.
    #[error("{backend}: job `{job}` attempt {attempt} is fenced: attempt {live_attempt} is live")]
    Fenced {
        /// Backend.
        backend: &'static str,
        /// The job.
        job: String,
        /// The attempt that was asked for.
        attempt: u64,
        /// The attempt that holds the job.
        live_attempt: u64,
    },
    /// An operation did not finish in time. It may still take effect (a deploy that timed out
    /// must be resolved by looking for its tag, never by retrying blindly).
    #[error("{backend}: {operation} timed out after {after:?}")]
    Timeout {
        /// Backend.
        backend: &'static str,
        /// What timed out.
        operation: String,
        /// The limit that was hit.
        after: Duration,
    },
    /// The backend cannot be reached or is temporarily unable to answer.
    #[error("{backend}: {what} unavailable")]
    Unavailable {
        /// Backend.
        backend: &'static str,
        /// What could not be reached (an URL without credentials, a cluster name).
        what: String,
        /// A hint from the server on when to try again.
        retry_after: Option<Duration>,
        /// Underlying cause.
        #[source]
        source: Option<BoxError>,
    },
    /// The backend answered something this SDK cannot understand (malformed or truncated JSON,
    /// an unexpected status).
    #[error("{backend}: unexpected answer from {endpoint}: {reason}")]
    Protocol {
        /// Backend.
        backend: &'static str,
        /// The endpoint, e.g. `GET /jobs/overview`.
        endpoint: String,
        /// What was wrong with the answer.
        reason: String,
        /// Underlying cause.
        #[source]
        source: Option<BoxError>,
    },
    /// The caller may not do this.
    #[error("{backend}: permission denied: {reason}")]
    PermissionDenied {
        /// Backend or component.
        backend: &'static str,
        /// Who, what and on which resource.
        reason: String,
    },
    /// The backend does not support this operation (see [`crate::Capabilities`]).
    #[error("{backend}: {operation} is not supported")]
    Unsupported {
        /// Backend.
        backend: &'static str,
        /// The operation.
        operation: String,
    },
    /// An operation gave up after several tries; carries the last error.
    #[error("{backend}: {operation} failed after {attempts} attempts")]
    Exhausted {
        /// Backend.
        backend: &'static str,
        /// The operation.
        operation: String,
        /// How many tries were made.
        attempts: u32,
        /// The last error.
        #[source]
        source: Box<Error>,
    },
    /// Anything else.
    #[error("{backend}: {message}")]
    Other {
        /// Backend.
        backend: &'static str,
        /// Description.
        message: String,
        /// Underlying cause.
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// Whether trying again later may succeed (network trouble, timeouts, overload).
    ///
    /// ```
    /// use streampark_core::Error;
    /// let e = Error::Unavailable { backend: "flink", what: "http://127.0.0.1:1".into(), retry_after: None, source: None };
    /// assert!(e.is_retryable());
    /// let e = Error::NotFound { backend: "flink", what: "job x".into() };
    /// assert!(!e.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable { .. } | Error::Timeout { .. })
    }

    /// A server's hint on when to retry, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The backend that produced the error.
    pub fn backend(&self) -> &'static str {
        match self {
            Error::NotFound { backend, .. }
            | Error::InvalidInput { backend, .. }
            | Error::InvalidConfig { backend, .. }
            | Error::UnknownConfigKey { backend, .. }
            | Error::Rejected { backend, .. }
            | Error::Fenced { backend, .. }
            | Error::Timeout { backend, .. }
            | Error::Unavailable { backend, .. }
            | Error::Protocol { backend, .. }
            | Error::PermissionDenied { backend, .. }
            | Error::Unsupported { backend, .. }
            | Error::Exhausted { backend, .. }
            | Error::Other { backend, .. } => backend,
        }
    }

    /// Whether this is [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether this is [`Error::Fenced`].
    pub fn is_fenced(&self) -> bool {
        matches!(self, Error::Fenced { .. })
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid_input(
        backend: &'static str,
        what: impl Into<String>,
        at: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidInput {
            backend,
            what: what.into(),
            at: at.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidConfig`].
    pub fn invalid_config(
        backend: &'static str,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidConfig {
            backend,
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(backend: &'static str, what: impl Into<String>) -> Self {
        Error::NotFound {
            backend,
            what: what.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_repeats_the_source() {
        let cause = std::io::Error::other("connection refused by peer");
        let e = Error::Unavailable {
            backend: "flink",
            what: "http://127.0.0.1:9/overview".into(),
            retry_after: None,
            source: Some(Box::new(cause)),
        };
        let shown = e.to_string();
        assert!(shown.contains("http://127.0.0.1:9/overview"), "{shown}");
        assert!(!shown.contains("connection refused"), "{shown}");
        let src = std::error::Error::source(&e).expect("source kept");
        assert!(src.to_string().contains("connection refused"));
    }

    #[test]
    fn categories_answer_retryability() {
        let t = Error::Timeout {
            backend: "sim",
            operation: "deploy".into(),
            after: Duration::from_secs(1),
        };
        assert!(t.is_retryable());
        assert_eq!(t.backend(), "sim");
        let f = Error::Fenced {
            backend: "sim",
            job: "a".into(),
            attempt: 2,
            live_attempt: 2,
        };
        assert!(!f.is_retryable());
        assert!(f.is_fenced());
        let u = Error::Unavailable {
            backend: "flink",
            what: "x".into(),
            retry_after: Some(Duration::from_secs(3)),
            source: None,
        };
        assert_eq!(u.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn error_is_send_sync_static() {
        fn assert_bounds<T: Send + Sync + 'static>() {}
        assert_bounds::<Error>();
    }
}
