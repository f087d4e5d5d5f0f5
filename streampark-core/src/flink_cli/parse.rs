//! Pure functions over the Flink CLI's combined output (stdout + stderr).

/// The job id from `Job has been submitted with JobID <hex32>` (the last one when several).
///
/// ```
/// use streampark_core::flink_cli::parse;
/// let out = "Job has been submitted with JobID 7f3e1c9a0b2d4e5f60718293a4b5c6d7\n";
/// assert_eq!(parse::job_id(out).as_deref(), Some("7f3e1c9a0b2d4e5f60718293a4b5c6d7"));
/// ```
pub fn job_id(out: &str) -> Option<String> {
    const MARK: &str = "submitted with JobID";
    let mut found = None;
    for (i, _) in out.match_indices(MARK) {
        let rest = out[i + MARK.len()..].trim_start();
        let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        if id.len() == 32 {
            found = Some(id.to_ascii_lowercase());
        }
    }
    found
}

/// The first YARN application id `application_<clusterTimestamp>_<sequence>` in the output.
///
/// ```
/// use streampark_core::flink_cli::parse;
/// let out = "Submitted application application_1700000000000_0042\n";
/// assert_eq!(parse::yarn_application_id(out).as_deref(), Some("application_1700000000000_0042"));
/// ```
pub fn yarn_application_id(out: &str) -> Option<String> {
    const MARK: &str = "application_";
    for (i, _) in out.match_indices(MARK) {
        // Not the tail of a longer word (e.g. `yarn_application_...` is still fine to skip).
        if out[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &out[i + MARK.len()..];
        let ts: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if ts.is_empty() {
            continue;
        }
        let Some(after) = rest[ts.len()..].strip_prefix('_') else {
            continue;
        };
        let seq: String = after.chars().take_while(char::is_ascii_digit).collect();
        if seq.is_empty() {
            continue;
        }
        return Some(format!("application_{ts}_{seq}"));
    }
    None
}

/// The cluster id from `Create flink application cluster <id> successfully` (native Kubernetes),
/// also accepting `Create flink session cluster <id> successfully`.
///
/// ```
/// use streampark_core::flink_cli::parse;
/// let out = "... Create flink application cluster my-job-1 successfully, JobManager Web Interface: http://x:8081\n";
/// assert_eq!(parse::k8s_cluster_id(out).as_deref(), Some("my-job-1"));
/// ```
pub fn k8s_cluster_id(out: &str) -> Option<String> {
    for mark in [
        "Create flink application cluster ",
        "Create flink session cluster ",
    ] {
        for (i, _) in out.match_indices(mark) {
            let rest = &out[i + mark.len()..];
            let Some((id, tail)) = rest.split_once(char::is_whitespace) else {
                continue;
            };
            if tail.starts_with("successfully") && is_k8s_name(id) {
                return Some(id.to_string());
            }
        }
    }
    None
}

fn is_k8s_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_from_real_shaped_output() {
        // Shape of Flink 1.x/2.x `flink run --detached` output.
        let out = "WARNING: Unknown module: jdk.compiler specified to --add-exports\n\
                   Job has been submitted with JobID 0a1B2c3d4e5f60718293a4b5c6d7e8f9\n";
        assert_eq!(
            job_id(out).as_deref(),
            Some("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        );
        assert_eq!(job_id("Job has been submitted with JobID 123"), None);
        assert_eq!(job_id("nothing here"), None);
        let two = "submitted with JobID 00000000000000000000000000000001\nsubmitted with JobID 00000000000000000000000000000002";
        assert_eq!(
            job_id(two).as_deref(),
            Some("00000000000000000000000000000002")
        );
    }

    #[test]
    fn yarn_application_ids() {
        let out = "2026-01-01 INFO  org.apache.flink.yarn.YarnClusterDescriptor - Submitting application master application_1712345678901_0007\n\
                   Found Web Interface host:8088 of application 'application_1712345678901_0007'.";
        assert_eq!(
            yarn_application_id(out).as_deref(),
            Some("application_1712345678901_0007")
        );
        assert_eq!(
            yarn_application_id("myapplication_1_2 application_x_1"),
            None
        );
        assert_eq!(yarn_application_id("application_17_"), None);
    }

    #[test]
    fn k8s_cluster_ids() {
        let out = "INFO  KubernetesClusterDescriptor - Create flink session cluster sess-1 successfully, JobManager Web Interface: http://10.0.0.1:8081";
        assert_eq!(k8s_cluster_id(out).as_deref(), Some("sess-1"));
        assert_eq!(
            k8s_cluster_id("Create flink application cluster Bad_Name successfully"),
            None
        );
        assert_eq!(
            k8s_cluster_id("Create flink application cluster x failed"),
            None
        );
    }
}
