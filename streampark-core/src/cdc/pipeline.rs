//! The pipeline definition's types: releases, options, findings, the parsed definition.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::{Error, FlinkVersion, Result};

/// A Flink CDC release, `3.x` (the patch level does not change the options).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CdcVersion {
    major: u32,
    minor: u32,
}

impl CdcVersion {
    /// The newest release this SDK knows the options of.
    pub const NEWEST: CdcVersion = CdcVersion { major: 3, minor: 6 };

    /// `major.minor`.
    pub fn new(major: u32, minor: u32) -> Self {
        CdcVersion { major, minor }
    }

    pub(super) fn key(self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

impl fmt::Display for CdcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for CdcVersion {
    type Err = Error;

    /// `3.5`, `3.5.0`, `3.5.1`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid_input(
                "cdc",
                "Flink CDC version",
                format!("`{}`", s.chars().take(40).collect::<String>()),
                "expected MAJOR.MINOR[.PATCH], e.g. 3.5.0",
            )
        };
        let mut parts = s.trim().split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if let Some(p) = parts.next()
            && p.parse::<u32>().is_err()
        {
            return Err(bad());
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(CdcVersion { major, minor })
    }
}

/// What the lint is checked against (builder style).
#[derive(Clone, Debug)]
#[must_use]
pub struct LintOptions {
    pub(super) cdc: CdcVersion,
    pub(super) flink: Option<FlinkVersion>,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            cdc: CdcVersion::NEWEST,
            flink: None,
        }
    }
}

impl LintOptions {
    /// The newest known Flink CDC release, no Flink release.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Flink CDC release the pipeline runs on.
    pub fn with_cdc_version(mut self, v: CdcVersion) -> Self {
        self.cdc = v;
        self
    }

    /// The Flink release of the cluster it runs on (checked against the CDC release).
    pub fn with_flink_version(mut self, v: FlinkVersion) -> Self {
        self.flink = Some(v);
        self
    }
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LintLevel {
    /// Flink CDC would refuse the pipeline, or it would not do what it says.
    Error,
    /// Worth a look (a literal password, a deprecated key, an option this release may not read).
    Warning,
}

/// One finding, with where it is and how to fix it. Never quotes a connector option's value
/// (it may be a secret); `pipeline` values such as `schema.change.behavior` are quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipelineDiagnostic {
    /// Error or warning.
    pub level: LintLevel,
    /// A stable code (`unknown-option`, `route-undefined-table`, …).
    pub code: &'static str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when known.
    pub fix: Option<String>,
}

impl fmt::Display for PipelineDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            LintLevel::Error => "error",
            LintLevel::Warning => "warning",
        };
        write!(
            f,
            "line {} column {}: {level}[{}]: {}",
            self.line, self.column, self.code, self.message
        )?;
        if let Some(fix) = &self.fix {
            write!(f, " (fix: {fix})")?;
        }
        Ok(())
    }
}

/// A `source` or `sink`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectorDef {
    /// `type`.
    pub kind: String,
    /// `name`, if given.
    pub name: Option<String>,
    /// The other keys, values as text. `Debug` of a pipeline may therefore show passwords
    /// written in the file: use `${variables}`.
    pub options: BTreeMap<String, String>,
}

/// One `route` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteDef {
    /// `source-table` (a table selector).
    pub source_table: String,
    /// `sink-table`.
    pub sink_table: String,
    /// `replace-symbol`, if given.
    pub replace_symbol: Option<String>,
}

/// One `transform` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransformDef {
    /// `source-table` (a table selector).
    pub source_table: String,
    /// Every key of the rule, values as text.
    pub options: BTreeMap<String, String>,
}

/// A parsed pipeline definition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipelineDef {
    /// `source`.
    pub source: ConnectorDef,
    /// `sink`.
    pub sink: ConnectorDef,
    /// `route` rules in order.
    pub routes: Vec<RouteDef>,
    /// `transform` rules in order.
    pub transforms: Vec<TransformDef>,
    /// `pipeline` options, values as text (lists such as `user-defined-function` as YAML flow).
    pub pipeline: BTreeMap<String, String>,
}

/// What [`lint_pipeline`](super::lint_pipeline) found.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PipelineReport {
    /// Every finding, in document order.
    pub diagnostics: Vec<PipelineDiagnostic>,
    /// The definition, when source and sink could be read.
    pub pipeline: Option<PipelineDef>,
}

impl PipelineReport {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &PipelineDiagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.level == LintLevel::Error)
    }

    /// Whether there is no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The definition, or an [`Error::InvalidConfig`] listing every error.
    ///
    /// # Errors
    /// When there is an error.
    pub fn into_result(self) -> Result<PipelineDef> {
        let errors: Vec<String> = self.errors().map(ToString::to_string).collect();
        match self.pipeline {
            Some(p) if errors.is_empty() => Ok(p),
            _ => Err(Error::invalid_config(
                "cdc",
                "pipeline definition",
                errors.join("; "),
            )),
        }
    }
}
