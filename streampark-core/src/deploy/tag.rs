//! How a deployment carries its job id and attempt on a cluster that only keeps a job name.
//!
//! # Scheme
//! - **Flink job name**: `<display name> [streampark:<job id>:<attempt>]`, e.g.
//!   `Orders ETL [streampark:orders:3]`. Job ids never contain `:`, `[`, `]` or spaces, so the
//!   last ` [streampark:` marker is unambiguous whatever the display name holds.
//! - **Flink job id**: the first 16 bytes of SHA-256 over `streampark/<job id>/<attempt>`, in
//!   hex. Flink refuses a second submission of a job id it has seen (`Duplicate…Submission`),
//!   so the same attempt can never run twice on one cluster, even when two hosts race.
//!
//! ```
//! use streampark_core::{JobId, deploy::tag};
//! let job = JobId::new("orders")?;
//! let name = tag::job_name(&job, 3, "Orders ETL");
//! assert_eq!(name, "Orders ETL [streampark:orders:3]");
//! assert_eq!(tag::parse_job_name(&name), Some((job.clone(), 3)));
//! assert_eq!(tag::parse_job_name("someone else's job"), None);
//! assert_eq!(tag::flink_job_id(&job, 3).len(), 32);
//! # Ok::<(), streampark_core::Error>(())
//! ```

use sha2::{Digest, Sha256};

use crate::JobId;

const MARK: &str = "[streampark:";

/// The Flink job name for attempt `attempt` of `job`.
pub fn job_name(job: &JobId, attempt: u64, display: &str) -> String {
    let display: String = display
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let display = display.trim();
    if display.is_empty() {
        format!("{MARK}{job}:{attempt}]")
    } else {
        format!("{display} {MARK}{job}:{attempt}]")
    }
}

/// The job id and attempt of a tagged job name; `None` for untagged names.
pub fn parse_job_name(name: &str) -> Option<(JobId, u64)> {
    let name = name.trim_end();
    let start = name.rfind(MARK)?;
    if start > 0 && !name[..start].ends_with(' ') {
        return None;
    }
    let inner = name[start + MARK.len()..].strip_suffix(']')?;
    let (job, attempt) = inner.rsplit_once(':')?;
    let attempt: u64 = attempt.parse().ok()?;
    if attempt == 0 || attempt.to_string() != attempt_str(inner) {
        return None;
    }
    Some((JobId::new(job).ok()?, attempt))
}

fn attempt_str(inner: &str) -> &str {
    inner.rsplit_once(':').map(|(_, a)| a).unwrap_or("")
}

/// The deterministic Flink job id (32 hex characters) of attempt `attempt` of `job`.
pub fn flink_job_id(job: &JobId, attempt: u64) -> String {
    let digest = Sha256::digest(format!("streampark/{job}/{attempt}").as_bytes());
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_lookalikes() {
        let j = JobId::new("a.b-c_d").unwrap();
        for display in ["", "x", "weird [streampark:other:9] name", "ünï"] {
            let n = job_name(&j, 42, display);
            assert_eq!(parse_job_name(&n), Some((j.clone(), 42)), "{n}");
        }
        for bad in [
            "[streampark:a:0]",
            "[streampark:a:x]",
            "[streampark:a:01]",
            "x[streampark:a:1]",
            "[streampark:a b:1]",
            "[streampark::1]",
            "[streampark:a:1",
            "insert-into_default_catalog.default_database.k",
        ] {
            assert_eq!(parse_job_name(bad), None, "{bad}");
        }
        assert_ne!(flink_job_id(&j, 1), flink_job_id(&j, 2));
        assert!(flink_job_id(&j, 1).bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn control_characters_are_dropped_from_display_names() {
        let j = JobId::new("a").unwrap();
        assert_eq!(job_name(&j, 1, "x\ny"), "xy [streampark:a:1]");
    }
}
