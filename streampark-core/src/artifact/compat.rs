//! Is a connector jar built for the cluster's Flink release? Read from its Maven coordinates,
//! before anything is fetched or started.

use super::ArtifactRef;
use crate::{Error, FlinkVersion, Result};

/// What a connector's coordinates say about the Flink release it was built for.
#[derive(Debug, PartialEq, Eq)]
enum BuiltFor {
    /// `major.minor` of Flink (`4.0.1-2.0`, or `1.16.1` for a connector released with Flink).
    Flink(u32, u32),
    /// A Flink CDC release (`flink-sql-connector-mysql-cdc:3.5.0`).
    Cdc(u32, u32),
}

fn minor(s: &str) -> Option<(u32, u32)> {
    let mut p = s.split('.');
    Some((p.next()?.parse().ok()?, p.next()?.parse().ok()?))
}

fn built_for(group: &str, artifact: &str, version: &str) -> Option<BuiltFor> {
    if group != "org.apache.flink" {
        return None;
    }
    let connector =
        artifact.starts_with("flink-connector-") || artifact.starts_with("flink-sql-connector-");
    if connector && artifact.ends_with("-cdc") {
        return minor(version).map(|(a, b)| BuiltFor::Cdc(a, b));
    }
    if !connector {
        return None;
    }
    // Externalized connectors: `<connector version>-<flink major.minor>`.
    if let Some((_, flink)) = version.rsplit_once('-')
        && let Some((a, b)) = minor(flink)
    {
        return Some(BuiltFor::Flink(a, b));
    }
    // Connectors released with Flink itself (before 1.17 for most): the Flink version.
    match minor(version) {
        Some((1, b)) => Some(BuiltFor::Flink(1, b)),
        _ => None,
    }
}

impl ArtifactRef {
    /// Refuses a Flink connector built for another Flink release than `flink`: another
    /// major release, or a newer minor one (`flink-connector-jdbc:3.3.0-1.20` on Flink 1.17),
    /// and a Flink CDC connector whose release does not support `flink` (Flink CDC's
    /// compatibility table). A connector of an older minor release of the same major one is
    /// allowed (connectors usually keep working one release on). Coordinates that say nothing
    /// about Flink (other groups, local files, URLs) pass.
    ///
    /// ```
    /// use streampark_core::FlinkVersion;
    /// use streampark_core::artifact::ArtifactRef;
    ///
    /// let jdbc = ArtifactRef::maven("org.apache.flink:flink-connector-jdbc:3.3.0-1.20")?;
    /// assert!(jdbc.check_flink(&"1.20.1".parse()?).is_ok());
    /// let e = jdbc.check_flink(&"1.17.2".parse()?).unwrap_err().to_string();
    /// assert!(e.contains("flink-connector-jdbc:3.3.0-1.20") && e.contains("1.17"), "{e}");
    /// let cdc = ArtifactRef::maven("org.apache.flink:flink-sql-connector-mysql-cdc:3.5.0")?;
    /// assert!(cdc.check_flink(&"2.3.0".parse()?).is_err());
    /// # Ok::<(), streampark_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the artifact, the release it was built for and the
    /// cluster's.
    pub fn check_flink(&self, flink: &FlinkVersion) -> Result<()> {
        let ArtifactRef::Maven {
            group,
            artifact,
            version,
            ..
        } = self
        else {
            return Ok(());
        };
        let have = flink.minor_version();
        let refuse = |why: String| {
            Err(Error::invalid_input(
                "artifacts",
                "connector",
                format!("`{}`", self.display()),
                why,
            ))
        };
        match built_for(group, artifact, version) {
            None => Ok(()),
            Some(BuiltFor::Flink(a, b)) => {
                if a != have.0 || b > have.1 {
                    refuse(format!(
                        "built for Flink {a}.{b}, the cluster runs Flink {}.{}: take the \
                         connector's release for Flink {}.{}",
                        have.0, have.1, have.0, have.1
                    ))
                } else {
                    if b < have.1 {
                        tracing::warn!(artifact = %self.display(), flink = %flink, "connector built for an older Flink minor release");
                    }
                    Ok(())
                }
            }
            Some(BuiltFor::Cdc(a, b)) => match crate::cdc::flink_releases_of_cdc(a, b) {
                Some(supported) if !supported.contains(&have) => {
                    let list: Vec<String> =
                        supported.iter().map(|(x, y)| format!("{x}.{y}")).collect();
                    refuse(format!(
                        "Flink CDC {a}.{b} supports Flink {}, the cluster runs Flink {}.{}",
                        list.join(", "),
                        have.0,
                        have.1
                    ))
                }
                _ => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(coords: &str, flink: &str) -> Result<()> {
        ArtifactRef::maven(coords)
            .unwrap()
            .check_flink(&flink.parse().unwrap())
    }

    #[test]
    fn externalized_connectors_by_their_flink_suffix() {
        assert!(
            check(
                "org.apache.flink:flink-sql-connector-kafka:4.0.1-2.0",
                "2.0.0"
            )
            .is_ok()
        );
        // One minor release on: allowed.
        assert!(
            check(
                "org.apache.flink:flink-sql-connector-kafka:4.0.1-2.0",
                "2.1.0"
            )
            .is_ok()
        );
        // Built for a newer minor, or another major: refused, naming both.
        let e = check(
            "org.apache.flink:flink-sql-connector-kafka:5.0.0-2.2",
            "2.0.0",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("5.0.0-2.2") && e.contains("Flink 2.2") && e.contains("Flink 2.0"),
            "{e}"
        );
        assert!(check("org.apache.flink:flink-connector-jdbc:3.3.0-1.20", "2.3.0").is_err());
        assert!(
            check(
                "org.apache.flink:flink-connector-jdbc:3.3.0-1.20",
                "1.14.0-csa1.6.0.0"
            )
            .is_err()
        );
    }

    #[test]
    fn connectors_released_with_flink_and_cdc_connectors() {
        assert!(
            check(
                "org.apache.flink:flink-sql-connector-kafka:1.14.6",
                "1.14.0-csa1.6.0.0"
            )
            .is_ok()
        );
        assert!(
            check(
                "org.apache.flink:flink-sql-connector-kafka:1.16.1",
                "1.14.6"
            )
            .is_err()
        );
        assert!(
            check(
                "org.apache.flink:flink-sql-connector-mysql-cdc:3.5.0",
                "1.20.1"
            )
            .is_ok()
        );
        let e = check(
            "org.apache.flink:flink-sql-connector-mysql-cdc:3.2.0",
            "1.14.6",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("1.17, 1.18, 1.19, 1.20"), "{e}");
        // Nothing to say: other groups, Flink's own modules, a CDC release not in the table.
        assert!(check("com.mysql:mysql-connector-j:8.4.0", "1.14.6").is_ok());
        assert!(check("org.apache.flink:flink-table-common:2.3.0", "1.14.6").is_ok());
        assert!(
            check(
                "org.apache.flink:flink-sql-connector-mysql-cdc:9.9.0",
                "1.14.6"
            )
            .is_ok()
        );
        assert!(check("org.apache.flink:flink-connector-files:weird", "1.14.6").is_ok());
    }
}
