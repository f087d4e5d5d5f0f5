//! The Flink version and Scala version of a `flink-dist` jar: from its file name, else from the
//! jar's `META-INF/MANIFEST.MF`, else from `.flink-runtime.version.properties` inside it.

use std::io::Read;
use std::path::Path;

use crate::FlinkVersion;

/// Largest manifest / properties entry read from a jar (real ones are about 1 KiB).
const MAX_ENTRY: u64 = 256 * 1024;

/// What the name of `flink-dist[_<scala>][-<version>].jar` tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistName {
    pub(crate) scala: Option<String>,
    pub(crate) version: Option<FlinkVersion>,
    /// The version text when it was present but did not parse.
    pub(crate) unparsed: Option<String>,
}

/// Whether `name` is a flink-dist jar name (`flink-dist*.jar`).
pub(crate) fn is_dist_name(name: &str) -> bool {
    name.starts_with("flink-dist") && name.ends_with(".jar")
}

/// Parses `flink-dist_2.12-1.14.0-csa1.6.0.0.jar`, `flink-dist-2.3.0.jar`, `flink-dist.jar`.
pub(crate) fn parse_dist_name(name: &str) -> Option<DistName> {
    let rest = name.strip_prefix("flink-dist")?.strip_suffix(".jar")?;
    let (scala, rest) = match rest.strip_prefix('_') {
        Some(r) => match r.split_once('-') {
            Some((s, v)) => (Some(s.to_string()), format!("-{v}")),
            None => (Some(r.to_string()), String::new()),
        },
        None => (None, rest.to_string()),
    };
    let scala = scala.filter(|s| is_scala_version(s));
    let text = rest.strip_prefix('-').unwrap_or(&rest);
    if text.is_empty() {
        return Some(DistName {
            scala,
            version: None,
            unparsed: None,
        });
    }
    match text.parse::<FlinkVersion>() {
        Ok(v) => Some(DistName {
            scala,
            version: Some(v),
            unparsed: None,
        }),
        Err(_) => Some(DistName {
            scala,
            version: None,
            unparsed: Some(text.to_string()),
        }),
    }
}

fn is_scala_version(s: &str) -> bool {
    let mut parts = s.split('.');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
        if !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()))
}

/// The Scala binary version in a lib jar name such as `flink-scala_2.12-1.17.2.jar`.
pub(crate) fn scala_from_lib_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("flink-scala_")?;
    let (s, _) = rest.split_once('-')?;
    is_scala_version(s).then(|| s.to_string())
}

/// Version facts read from inside the jar.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct JarFacts {
    pub(crate) version: Option<FlinkVersion>,
    pub(crate) scala: Option<String>,
    /// Why each place inside the jar did not tell (for the error message).
    pub(crate) misses: Vec<String>,
}

/// Reads `META-INF/MANIFEST.MF` (`Implementation-Version`, `Specification-Version`,
/// `Bundle-Version`) and `.flink-runtime.version.properties` (`project.version`,
/// `scala.binary.version`).
pub(crate) fn read_jar_facts(jar: &Path) -> JarFacts {
    let mut facts = JarFacts::default();
    let file = match std::fs::File::open(jar) {
        Ok(f) => f,
        Err(e) => {
            facts.misses.push(format!("cannot open the jar: {e}"));
            return facts;
        }
    };
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(z) => z,
        Err(e) => {
            facts
                .misses
                .push(format!("not a readable zip archive: {e}"));
            return facts;
        }
    };
    match read_entry(&mut zip, "META-INF/MANIFEST.MF") {
        Ok(text) => {
            let attrs = manifest_attributes(&text);
            let found = [
                "Implementation-Version",
                "Specification-Version",
                "Bundle-Version",
            ]
            .iter()
            .find_map(|k| {
                attrs
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.clone())
            });
            match found {
                Some(v) => match v.parse::<FlinkVersion>() {
                    Ok(ver) => facts.version = Some(ver),
                    Err(_) => facts
                        .misses
                        .push(format!("META-INF/MANIFEST.MF version `{v}` does not parse")),
                },
                None => facts
                    .misses
                    .push("META-INF/MANIFEST.MF has no Implementation-Version".into()),
            }
        }
        Err(why) => facts.misses.push(format!("META-INF/MANIFEST.MF: {why}")),
    }
    match read_entry(&mut zip, ".flink-runtime.version.properties") {
        Ok(text) => {
            for line in text.lines() {
                let line = line.trim();
                if let Some(v) = line.strip_prefix("project.version=") {
                    if facts.version.is_none() {
                        match v.trim().parse::<FlinkVersion>() {
                            Ok(ver) => facts.version = Some(ver),
                            Err(_) => facts.misses.push(format!(
                                ".flink-runtime.version.properties project.version `{}` does not parse",
                                v.trim()
                            )),
                        }
                    }
                } else if let Some(s) = line.strip_prefix("scala.binary.version=") {
                    let s = s.trim();
                    if is_scala_version(s) {
                        facts.scala = Some(s.to_string());
                    }
                }
            }
        }
        Err(why) => facts
            .misses
            .push(format!(".flink-runtime.version.properties: {why}")),
    }
    facts
}

fn read_entry<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<String, String> {
    let entry = zip.by_name(name).map_err(|e| match e {
        zip::result::ZipError::FileNotFound => "not in the jar".to_string(),
        other => other.to_string(),
    })?;
    let mut buf = Vec::new();
    entry
        .take(MAX_ENTRY)
        .read_to_end(&mut buf)
        .map_err(|e| format!("unreadable: {e}"))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Main-section attributes of a JAR manifest (continuation lines start with one space).
pub(crate) fn manifest_attributes(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dist_names_of_apache_and_vendor_builds() {
        let d = parse_dist_name("flink-dist_2.12-1.14.0-csa1.6.0.0.jar").unwrap();
        assert_eq!(d.scala.as_deref(), Some("2.12"));
        let v = d.version.unwrap();
        assert_eq!(v.base().to_string(), "1.14.0");
        assert_eq!(v.vendor(), Some("csa1.6.0.0"));

        let d = parse_dist_name("flink-dist-2.3.0.jar").unwrap();
        assert_eq!(d.scala, None);
        assert_eq!(d.version.unwrap().to_string(), "2.3.0");

        let d = parse_dist_name("flink-dist-1.17.1-1.17.jar").unwrap();
        let v = d.version.unwrap();
        assert_eq!((v.minor(), v.patch(), v.vendor()), (17, 1, Some("1.17")));

        let d = parse_dist_name("flink-dist_2.11-1.13.6.jar").unwrap();
        assert_eq!(d.scala.as_deref(), Some("2.11"));

        let d = parse_dist_name("flink-dist.jar").unwrap();
        assert_eq!((d.version, d.unparsed), (None, None));

        let d = parse_dist_name("flink-dist-latest.jar").unwrap();
        assert_eq!(d.version, None);
        assert_eq!(d.unparsed.as_deref(), Some("latest"));

        assert!(parse_dist_name("flink-table-runtime-2.3.0.jar").is_none());
        assert!(!is_dist_name("flink-dist-2.3.0.zip"));
    }

    #[test]
    fn scala_version_from_lib_names() {
        assert_eq!(
            scala_from_lib_name("flink-scala_2.12-1.17.2.jar").as_deref(),
            Some("2.12")
        );
        assert_eq!(scala_from_lib_name("flink-scala-2.3.0.jar"), None);
        assert_eq!(scala_from_lib_name("flink-scala_x.y-2.3.0.jar"), None);
    }

    #[test]
    fn manifest_continuations_and_sections() {
        let mf = "Manifest-Version: 1.0\r\nImplementation-Title: Flink : Di\r\n st\r\nImplementation-Version: 1.14.0-csa1.6.0.0\r\n\r\nName: x\r\nImplementation-Version: 9.9\r\n";
        let attrs = manifest_attributes(mf);
        assert!(attrs.contains(&("Implementation-Title".into(), "Flink : Dist".into())));
        let versions: Vec<_> = attrs
            .iter()
            .filter(|(k, _)| k == "Implementation-Version")
            .collect();
        assert_eq!(
            versions.len(),
            1,
            "per-entry sections are not main attributes"
        );
        assert_eq!(versions[0].1, "1.14.0-csa1.6.0.0");
    }
}
