//! [`ArtifactRef`]: where a jar comes from, and the checks every reference passes.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::BACKEND;
use crate::spi::redact_url;
use crate::{Error, Result};

/// Where an artifact (a jar) comes from.
///
/// Serialized with a `kind` tag: `{"kind":"maven","group":"org.apache.flink",…}`.
///
/// ```
/// use streampark_core::artifact::ArtifactRef;
/// let kafka = ArtifactRef::maven("org.apache.flink:flink-sql-connector-kafka:4.0.1-2.0")?;
/// assert_eq!(kafka.display(), "org.apache.flink:flink-sql-connector-kafka:4.0.1-2.0");
/// assert!(ArtifactRef::maven("org.evil:../../etc:1").is_err());
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum ArtifactRef {
    /// A jar on the host's file system.
    Local {
        /// The file.
        path: String,
        /// Expected SHA-256 (hex); checked when set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    /// A jar at an `http://` or `https://` URL.
    Http {
        /// The URL (credentials in it are used, and redacted in errors and logs).
        url: String,
        /// Expected SHA-256 (hex), required: a URL alone says nothing about what it serves.
        sha256: String,
    },
    /// A jar in the store's Maven repository (no transitive dependencies).
    Maven {
        /// Group id, e.g. `org.apache.flink`.
        group: String,
        /// Artifact id, e.g. `flink-sql-connector-kafka`.
        artifact: String,
        /// Version, e.g. `4.0.1-2.0`.
        version: String,
        /// Classifier, e.g. `tests`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        classifier: Option<String>,
        /// Expected SHA-256 (hex); checked when set, in addition to the repository's sidecar.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
}

impl ArtifactRef {
    /// Parses Maven coordinates `group:artifact:version[:classifier]`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a part is missing, empty, or holds characters outside
    /// letters, digits, `.`, `_`, `-`, `+` (so no `/`, `..` or `%` can reach a path or URL).
    pub fn maven(coords: &str) -> Result<ArtifactRef> {
        let parts: Vec<&str> = coords.trim().split(':').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(Error::invalid_input(
                BACKEND,
                "Maven coordinates",
                shown(coords),
                "expected group:artifact:version[:classifier]",
            ));
        }
        let r = ArtifactRef::Maven {
            group: parts[0].to_string(),
            artifact: parts[1].to_string(),
            version: parts[2].to_string(),
            classifier: parts.get(3).map(|c| c.to_string()),
            sha256: None,
        };
        r.validate()?;
        Ok(r)
    }

    /// A local jar, without a checksum.
    pub fn local(path: impl Into<String>) -> ArtifactRef {
        ArtifactRef::Local {
            path: path.into(),
            sha256: None,
        }
    }

    /// A jar at an HTTP(S) URL with its SHA-256.
    pub fn http(url: impl Into<String>, sha256: impl Into<String>) -> ArtifactRef {
        ArtifactRef::Http {
            url: url.into(),
            sha256: sha256.into(),
        }
    }

    /// The same reference with an expected SHA-256 (for `Local` and `Maven`; replaces the
    /// checksum of `Http`).
    #[must_use]
    pub fn with_sha256(mut self, hex: impl Into<String>) -> ArtifactRef {
        let hex = hex.into();
        match &mut self {
            ArtifactRef::Local { sha256, .. } | ArtifactRef::Maven { sha256, .. } => {
                *sha256 = Some(hex)
            }
            ArtifactRef::Http { sha256, .. } => *sha256 = hex,
        }
        self
    }

    /// A short name for errors, logs and UIs: the path, the URL without credentials, or
    /// `group:artifact:version[:classifier]`.
    pub fn display(&self) -> String {
        match self {
            ArtifactRef::Local { path, .. } => path.clone(),
            ArtifactRef::Http { url, .. } => redact_url(url),
            ArtifactRef::Maven {
                group,
                artifact,
                version,
                classifier,
                ..
            } => match classifier {
                Some(c) => format!("{group}:{artifact}:{version}:{c}"),
                None => format!("{group}:{artifact}:{version}"),
            },
        }
    }

    /// The expected SHA-256, normalized to lowercase, if the reference carries one.
    pub(crate) fn expected_sha256(&self) -> Option<String> {
        match self {
            ArtifactRef::Local { sha256, .. } | ArtifactRef::Maven { sha256, .. } => {
                sha256.as_deref().map(|s| s.trim().to_ascii_lowercase())
            }
            ArtifactRef::Http { sha256, .. } => Some(sha256.trim().to_ascii_lowercase()),
        }
    }

    /// Checks the reference (also one that came from serde, which bypasses [`Self::maven`]).
    pub(crate) fn validate(&self) -> Result<()> {
        let at = || {
            let d = self.display();
            let short: String = d.chars().take(120).collect();
            let more = if short.len() < d.len() { "…" } else { "" };
            format!("artifact `{short}{more}`")
        };
        if let Some(sha) = self.expected_sha256()
            && !(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(Error::invalid_input(
                BACKEND,
                "sha256",
                at(),
                "expected 64 hex digits",
            ));
        }
        match self {
            ArtifactRef::Local { path, .. } => {
                if path.trim().is_empty() {
                    return Err(Error::invalid_input(BACKEND, "path", at(), "empty"));
                }
            }
            ArtifactRef::Http { url, .. } => {
                let parsed = url::Url::parse(url).map_err(|e| {
                    Error::invalid_input(BACKEND, "URL", at(), format!("not an URL: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(Error::invalid_input(
                        BACKEND,
                        "URL",
                        at(),
                        format!("scheme `{}` is not http or https", parsed.scheme()),
                    ));
                }
            }
            ArtifactRef::Maven {
                group,
                artifact,
                version,
                classifier,
                ..
            } => {
                for g in group.split('.') {
                    check_part("group", g, &at)?;
                }
                check_part("artifact", artifact, &at)?;
                check_part("version", version, &at)?;
                if let Some(c) = classifier {
                    check_part("classifier", c, &at)?;
                }
            }
        }
        Ok(())
    }

    /// The path segments of a Maven reference's jar under the repository root.
    pub(crate) fn maven_segments(&self) -> Option<Vec<String>> {
        let ArtifactRef::Maven {
            group,
            artifact,
            version,
            classifier,
            ..
        } = self
        else {
            return None;
        };
        let mut segs: Vec<String> = group.split('.').map(str::to_string).collect();
        segs.push(artifact.clone());
        segs.push(version.clone());
        segs.push(match classifier {
            Some(c) => format!("{artifact}-{version}-{c}.jar"),
            None => format!("{artifact}-{version}.jar"),
        });
        Some(segs)
    }

    /// Whether the reference names mutable content (a Maven `-SNAPSHOT`), never cached by name.
    pub(crate) fn is_snapshot(&self) -> bool {
        matches!(self, ArtifactRef::Maven { version, .. } if version.ends_with("-SNAPSHOT"))
    }
}

fn check_part(what: &str, part: &str, at: &dyn Fn() -> String) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::invalid_input(
            BACKEND,
            format!("Maven {what}"),
            at(),
            reason,
        ))
    };
    if part.is_empty() {
        return bad("empty".into());
    }
    if part.len() > 200 {
        return bad("longer than 200 characters".into());
    }
    if let Some(c) = part
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')))
    {
        return bad(format!(
            "character {c:?} not allowed (letters, digits, `.`, `_`, `-`, `+`)"
        ));
    }
    if part.starts_with('.') || part.contains("..") {
        return bad("must not start with `.` or contain `..`".into());
    }
    Ok(())
}

fn shown(s: &str) -> String {
    format!("`{}`", s.chars().take(120).collect::<String>())
}

impl fmt::Debug for ArtifactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactRef::Local { path, sha256 } => f
                .debug_struct("Local")
                .field("path", path)
                .field("sha256", sha256)
                .finish(),
            ArtifactRef::Http { url, sha256 } => f
                .debug_struct("Http")
                .field("url", &redact_url(url))
                .field("sha256", sha256)
                .finish(),
            ArtifactRef::Maven {
                group,
                artifact,
                version,
                classifier,
                sha256,
            } => f
                .debug_struct("Maven")
                .field("group", group)
                .field("artifact", artifact)
                .field("version", version)
                .field("classifier", classifier)
                .field("sha256", sha256)
                .finish(),
        }
    }
}

impl fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_coordinates_with_and_without_classifier() {
        let r = ArtifactRef::maven("org.example:udf:1.0").unwrap();
        assert_eq!(
            r.maven_segments().unwrap(),
            ["org", "example", "udf", "1.0", "udf-1.0.jar"]
        );
        let r = ArtifactRef::maven("org.example:udf:1.0:tests").unwrap();
        assert_eq!(r.display(), "org.example:udf:1.0:tests");
        assert_eq!(r.maven_segments().unwrap()[4], "udf-1.0-tests.jar");
    }

    #[test]
    fn rejects_hostile_coordinates() {
        for bad in [
            "",
            "a:b",
            "a:b:c:d:e",
            "org.example:..:1.0",
            "org..example:a:1",
            "org.example:a/../../x:1",
            "org.example:a:1:%2e%2e",
            "org.example:a:..",
            ".org:a:1",
            "org:a:1 ",
            "org:a b:1",
        ] {
            let e = ArtifactRef::maven(bad);
            // "org:a:1 " is trimmed as a whole and valid; the others must fail.
            if bad == "org:a:1 " {
                assert!(e.is_ok());
                continue;
            }
            assert!(e.is_err(), "{bad:?} accepted");
        }
        let long = format!("g:{}:1", "a".repeat(5000));
        let e = ArtifactRef::maven(&long).unwrap_err().to_string();
        assert!(e.len() < 600, "{e}");
    }

    #[test]
    fn serde_references_are_validated_too() {
        let r: ArtifactRef = serde_json::from_str(
            r#"{"kind":"maven","group":"org","artifact":"../x","version":"1"}"#,
        )
        .unwrap();
        assert!(r.validate().is_err());
        let r: ArtifactRef =
            serde_json::from_str(r#"{"kind":"http","url":"file:///etc/passwd","sha256":"00"}"#)
                .unwrap();
        assert!(r.validate().is_err());
        let ok = ArtifactRef::http("https://h.example/x.jar", "A".repeat(64));
        assert!(ok.validate().is_ok());
        assert_eq!(ok.expected_sha256().unwrap(), "a".repeat(64));
    }

    #[test]
    fn round_trips_through_json_with_a_kind_tag() {
        let r = ArtifactRef::maven("org.example:udf:1.0:tests")
            .unwrap()
            .with_sha256("ab".repeat(32));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kind"], "maven");
        assert_eq!(json["classifier"], "tests");
        let back: ArtifactRef = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn credentials_never_show() {
        let r = ArtifactRef::http(
            "https://bob:hunter2@h.example/x.jar?token=t0k",
            "0".repeat(64),
        );
        for shown in [r.display(), format!("{r:?}"), r.to_string()] {
            assert!(
                !shown.contains("hunter2") && !shown.contains("t0k"),
                "{shown}"
            );
        }
    }
}
