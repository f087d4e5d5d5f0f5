//! Flink CDC 3.x pipeline jobs: the YAML definition (`source`, `sink`, `route`, `transform`,
//! `pipeline`), read and checked without a JVM.
//!
//! [`lint_pipeline`] reports, each with its line, column and a fix where one is known:
//! YAML syntax; unknown or missing sections; connector types a release does not have (and the
//! release that added them); options misspelled, unknown or missing, per connector and per
//! Flink CDC release (from each release's own factories, `options.tsv`); route and transform
//! rules whose `source-table` names a table the source does not capture; `pipeline` options
//! (`schema.change.behavior`, `parallelism`, `execution.runtime-mode`, …); passwords written
//! in the file instead of a `${variable}`; a Flink release the Flink CDC release does not
//! support.
//!
//! ```
//! use streampark_core::cdc::{lint_pipeline, LintOptions};
//!
//! let yaml = "\
//! source:
//!   type: mysql
//!   hostname: db
//!   username: flink
//!   password: ${mysql_password}
//!   tables: app.orders
//! sink:
//!   type: doris
//!   fenodes: doris:8030
//!   username: root
//!   password: ${doris_password}
//! route:
//!   - source-table: app.order
//!     sink-table: ods.orders
//! pipeline:
//!   schema.change.behavior: evolv
//! ";
//! let report = lint_pipeline(yaml, &LintOptions::new());
//! let errors: Vec<String> = report.errors().map(|d| d.to_string()).collect();
//! assert_eq!(errors.len(), 2, "{errors:?}");
//! assert!(errors[0].starts_with("line 13 column 5: error[route-undefined-table]"));
//! assert!(errors[1].contains("line 16") && errors[1].contains("EVOLVE"));
//! ```

mod known;
mod lint;
mod locate;
mod pipeline;

pub use lint::lint_pipeline;

/// The Flink `(major, minor)` releases a Flink CDC release supports, `None` when the release
/// is not in Flink CDC's compatibility table.
pub(crate) fn flink_releases_of_cdc(major: u32, minor: u32) -> Option<&'static [(u32, u32)]> {
    known::FLINK_SUPPORT
        .iter()
        .find(|(c, _)| *c == (major, minor))
        .map(|(_, f)| *f)
}
pub use pipeline::{
    CdcVersion, ConnectorDef, LintLevel, LintOptions, PipelineDef, PipelineDiagnostic,
    PipelineReport, RouteDef, TransformDef,
};
