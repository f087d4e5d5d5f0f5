//! Flink versions, including vendor builds such as Cloudera's `1.14.0-csa1.6.0.0`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

const WHAT: &str = "Flink version";

/// A Flink release: base version `major.minor.patch` plus an optional vendor tag.
///
/// ```
/// use streampark_core::FlinkVersion;
/// let v: FlinkVersion = "1.14.0-csa1.6.0.0".parse()?;
/// assert_eq!((v.major(), v.minor(), v.patch()), (1, 14, 0));
/// assert_eq!(v.vendor(), Some("csa1.6.0.0"));
/// assert_eq!(v.base().to_string(), "1.14.0");
/// assert!(v < "1.20.1".parse()?);
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FlinkVersion {
    major: u32,
    minor: u32,
    patch: u32,
    vendor: Option<String>,
}

impl FlinkVersion {
    /// A plain release `major.minor.patch`.
    pub fn new(major: u32, minor: u32, patch: u32) -> Self {
        FlinkVersion {
            major,
            minor,
            patch,
            vendor: None,
        }
    }

    /// Major version (1 or 2 today).
    pub fn major(&self) -> u32 {
        self.major
    }
    /// Minor version.
    pub fn minor(&self) -> u32 {
        self.minor
    }
    /// Patch version (0 when the string had none).
    pub fn patch(&self) -> u32 {
        self.patch
    }
    /// Vendor tag after the first `-`, e.g. `csa1.6.0.0` or `SNAPSHOT`.
    pub fn vendor(&self) -> Option<&str> {
        self.vendor.as_deref()
    }
    /// The version without its vendor tag.
    pub fn base(&self) -> FlinkVersion {
        FlinkVersion::new(self.major, self.minor, self.patch)
    }
    /// `major.minor`, the granularity connectors and SQL syntax are versioned by.
    pub fn minor_version(&self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

impl fmt::Debug for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlinkVersion({self})")
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(v) = &self.vendor {
            write!(f, "-{v}")?;
        }
        Ok(())
    }
}

impl PartialOrd for FlinkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FlinkVersion {
    /// Orders by base version; a vendor build sorts after the plain release of the same base.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| self.vendor.cmp(&other.vendor))
    }
}

fn parse_num(part: &str, whole: &str, name: &str) -> Result<u32, Error> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 6 {
        return Err(Error::invalid_input(
            "core",
            WHAT,
            format!("`{whole}`"),
            format!("{name} component `{part}` is not a number"),
        ));
    }
    part.parse().map_err(|_| {
        Error::invalid_input(
            "core",
            WHAT,
            format!("`{whole}`"),
            format!("{name} out of range"),
        )
    })
}

impl FromStr for FlinkVersion {
    type Err = Error;

    /// Parses `1.14.6`, `1.20`, `2.3.0`, `1.14.0-csa1.6.0.0`, `1.18-SNAPSHOT`, `v1.19.1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || t.len() > 128 {
            return Err(Error::invalid_input(
                "core",
                WHAT,
                format!("`{}`", t.chars().take(40).collect::<String>()),
                "expected `major.minor[.patch][-vendor]`",
            ));
        }
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let (base, vendor) = match t.split_once('-') {
            Some((b, v)) if !v.is_empty() => (b, Some(v.to_string())),
            Some(_) => {
                return Err(Error::invalid_input(
                    "core",
                    WHAT,
                    format!("`{s}`"),
                    "empty vendor tag after `-`",
                ));
            }
            None => (t, None),
        };
        let parts: Vec<&str> = base.split('.').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(Error::invalid_input(
                "core",
                WHAT,
                format!("`{s}`"),
                "expected `major.minor[.patch][-vendor]`",
            ));
        }
        let major = parse_num(parts[0], s, "major")?;
        let minor = parse_num(parts[1], s, "minor")?;
        let patch = match parts.get(2) {
            Some(p) => parse_num(p, s, "patch")?,
            None => 0,
        };
        Ok(FlinkVersion {
            major,
            minor,
            patch,
            vendor,
        })
    }
}

impl TryFrom<String> for FlinkVersion {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<FlinkVersion> for String {
    fn from(v: FlinkVersion) -> String {
        v.to_string()
    }
}

/// A requirement on the Flink version a job runs on: comma-separated comparators.
///
/// Forms: `*`, `1.20` (any 1.20.x), `2.x`, `=1.20.1`, `>=1.18`, `<2.0`, `>=1.18, <2.0`.
/// Vendor tags are ignored when matching (`1.14.0-csa1.6.0.0` matches `1.14`).
///
/// ```
/// use streampark_core::{FlinkVersion, FlinkVersionReq};
/// let req: FlinkVersionReq = ">=1.18, <2.0".parse()?;
/// assert!(req.matches(&"1.20.1".parse()?));
/// assert!(!req.matches(&"2.3.0".parse()?));
/// assert!("1.14".parse::<FlinkVersionReq>()?.matches(&"1.14.0-csa1.6.0.0".parse()?));
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FlinkVersionReq {
    text: String,
    clauses: Vec<Clause>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Clause {
    op: Op,
    major: u32,
    minor: Option<u32>,
    patch: Option<u32>,
}

impl Clause {
    fn matches(&self, v: &FlinkVersion) -> bool {
        // Compare only as many components as the clause names.
        let have = match (self.minor, self.patch) {
            (None, _) => (v.major, 0, 0),
            (Some(_), None) => (v.major, v.minor, 0),
            (Some(_), Some(_)) => (v.major, v.minor, v.patch),
        };
        let want = (self.major, self.minor.unwrap_or(0), self.patch.unwrap_or(0));
        match self.op {
            Op::Eq => have == want,
            Op::Ge => have >= want,
            Op::Gt => have > want,
            Op::Le => have <= want,
            Op::Lt => have < want,
        }
    }
}

impl FlinkVersionReq {
    /// Any version.
    pub fn any() -> Self {
        FlinkVersionReq {
            text: "*".into(),
            clauses: vec![],
        }
    }

    /// Whether every version satisfies it (no comparator).
    pub fn is_any(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether `v` satisfies every comparator.
    pub fn matches(&self, v: &FlinkVersion) -> bool {
        self.clauses.iter().all(|c| c.matches(v))
    }
}

impl fmt::Debug for FlinkVersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlinkVersionReq({})", self.text)
    }
}

impl fmt::Display for FlinkVersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for FlinkVersionReq {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        const REQ: &str = "Flink version requirement";
        let text = s.trim();
        if text.len() > 256 {
            return Err(Error::invalid_input(
                "core",
                REQ,
                "input",
                "longer than 256 characters",
            ));
        }
        if text.is_empty() || text == "*" {
            return Ok(FlinkVersionReq::any());
        }
        let mut clauses = Vec::new();
        for raw in text.split(',') {
            let part = raw.trim();
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r.trim())))
            .unwrap_or((Op::Eq, part));
            let bad = |reason: &str| {
                Error::invalid_input("core", REQ, format!("`{part}` in `{text}`"), reason)
            };
            let rest = rest.split('-').next().unwrap_or(rest);
            let nums: Vec<&str> = rest.split('.').collect();
            if nums.is_empty() || nums.len() > 3 {
                return Err(bad("expected `[op]major[.minor[.patch]]`"));
            }
            let num = |i: usize| -> Result<Option<u32>, Error> {
                match nums.get(i) {
                    None => Ok(None),
                    Some(&"x") | Some(&"*") if i > 0 => Ok(None),
                    Some(n) => parse_num(n, part, ["major", "minor", "patch"][i]).map(Some),
                }
            };
            let major = num(0)?.ok_or_else(|| bad("missing major version"))?;
            let minor = num(1)?;
            let patch = if minor.is_some() { num(2)? } else { None };
            clauses.push(Clause {
                op,
                major,
                minor,
                patch,
            });
        }
        Ok(FlinkVersionReq {
            text: text.to_string(),
            clauses,
        })
    }
}

impl TryFrom<String> for FlinkVersionReq {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<FlinkVersionReq> for String {
    fn from(v: FlinkVersionReq) -> String {
        v.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> FlinkVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_plain_and_vendor_versions() {
        let cases = [
            ("1.14.6", (1, 14, 6), None),
            ("1.20.1", (1, 20, 1), None),
            ("2.3.0", (2, 3, 0), None),
            ("1.14.0-csa1.6.0.0", (1, 14, 0), Some("csa1.6.0.0")),
            ("1.19.1-csa1.14.0.0", (1, 19, 1), Some("csa1.14.0.0")),
            ("1.18-SNAPSHOT", (1, 18, 0), Some("SNAPSHOT")),
            (" v1.17.2 ", (1, 17, 2), None),
        ];
        for (s, (ma, mi, pa), vendor) in cases {
            let got = v(s);
            assert_eq!((got.major(), got.minor(), got.patch()), (ma, mi, pa), "{s}");
            assert_eq!(got.vendor(), vendor, "{s}");
        }
        assert_eq!(v("1.14.0-csa1.6.0.0").to_string(), "1.14.0-csa1.6.0.0");
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for bad in [
            "",
            "1",
            "a.b.c",
            "1.2.3.4",
            "1..2",
            "1.2-",
            "-1.2",
            "99999999.1",
        ] {
            let e = bad.parse::<FlinkVersion>().unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains("Flink version"), "{e}");
        }
        let long = "1.".repeat(10_000);
        assert!(long.parse::<FlinkVersion>().is_err());
    }

    #[test]
    fn orders_by_base_then_vendor() {
        assert!(v("1.9.0") < v("1.10.0"));
        assert!(v("1.20.1") < v("2.0.0"));
        assert!(v("1.14.0") < v("1.14.0-csa1.6.0.0"));
        assert!(v("1.14.0-csa1.6.0.0") < v("1.14.1"));
    }

    #[test]
    fn requirements_match() {
        let r: FlinkVersionReq = "1.20".parse().unwrap();
        assert!(r.matches(&v("1.20.0")) && r.matches(&v("1.20.3")));
        assert!(!r.matches(&v("1.19.9")) && !r.matches(&v("2.0.0")));
        let r: FlinkVersionReq = "2.x".parse().unwrap();
        assert!(r.matches(&v("2.3.0")) && !r.matches(&v("1.20.1")));
        let r: FlinkVersionReq = ">=1.15, <2".parse().unwrap();
        assert!(r.matches(&v("1.15.0")) && r.matches(&v("1.20.1")));
        assert!(!r.matches(&v("1.14.6")) && !r.matches(&v("2.0.0")));
        let r: FlinkVersionReq = "=1.14.0".parse().unwrap();
        assert!(r.matches(&v("1.14.0-csa1.6.0.0")));
        assert!(FlinkVersionReq::any().matches(&v("0.1.0")));
        assert!("> = 1".parse::<FlinkVersionReq>().is_err());
        assert!(">=x".parse::<FlinkVersionReq>().is_err());
    }

    #[test]
    fn serde_round_trip() {
        let v0 = v("1.14.0-csa1.6.0.0");
        let j = serde_json::to_string(&v0).unwrap();
        assert_eq!(j, "\"1.14.0-csa1.6.0.0\"");
        assert_eq!(serde_json::from_str::<FlinkVersion>(&j).unwrap(), v0);
        assert!(serde_json::from_str::<FlinkVersion>("\"nope\"").is_err());
    }
}
