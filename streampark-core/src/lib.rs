//! # streampark-core
//!
//! The core of streampark-rs, an embeddable SDK for running Apache Flink jobs in production:
//!
//! - domain types: [`JobId`], [`JobSpec`], [`FlinkVersion`], [`JobState`], [`JobSnapshot`], …
//! - the [`Deployer`] trait (where jobs run), held as `Arc<dyn Deployer>`;
//! - [`flink`]: a typed Flink REST client with timeouts;
//! - [`flink_home`]: [`FlinkHome`] discovery (version, vendor, conf dir, lib/plugins) without
//!   Java, [`FlinkEnvs`] for several homes; [`flink_cli`]: [`FlinkCli`] runs `bin/flink`;
//! - [`RemoteDeployer`]: a `Deployer` over any Flink session or standalone cluster;
//! - [`registry`]: [`Registry`], a deployer chosen by URL (`flink+http://jm:8081`, `sim://`,
//!   and the schemes backend crates register);
//! - alerts: [`Alert`], [`Severity`] and the [`AlertSink`] trait (sinks live in `streampark-alerts`);
//! - [`config`]: the configuration center (files, Nacos with feature `nacos`, layering,
//!   variables, secrets, live updates);
//! - [`Supervisor`]: keeps jobs running (one list per cluster per tick, restart policies, at
//!   most one live attempt per job) over a durable [`StateStore`] ([`store`]);
//! - [`artifact`]: per-job jars (local, HTTP with checksum, Maven coordinates) resolved into a
//!   content-addressed cache;
//! - [`runner`]: the embedded SQL runner jar that runs Flink SQL scripts on every backend;
//! - [`sql`]: [`FlinkSqlChecker`], Flink SQL checked in-process, agreeing with Flink's parser;
//! - [`testkit`]: [`testkit::SimDeployer`], a deterministic simulator with a virtual clock and
//!   fault injection, and (feature `testkit`) the conformance suite every `Deployer` passes.
//!
//! ```
//! use std::sync::Arc;
//! use streampark_core::{DeployRequest, Deployer, JobSpec, JobState, Selector};
//! use streampark_core::testkit::SimDeployer;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! let sim = SimDeployer::new();
//! let deployer: Arc<dyn Deployer> = Arc::new(sim.clone());
//! let spec = JobSpec::sql("orders", "CREATE TABLE s (a INT) WITH ('connector'='datagen');\n\
//!                                   CREATE TABLE k (a INT) WITH ('connector'='blackhole');\n\
//!                                   INSERT INTO k SELECT a FROM s;")?;
//! let dep = deployer.deploy(DeployRequest::new(spec, 1)).await?;
//! sim.clock().advance(std::time::Duration::from_secs(5));
//! let jobs = deployer.list(&Selector::All).await?;
//! assert_eq!(jobs[0].deployment, dep.id);
//! assert_eq!(jobs[0].state, JobState::Running);
//! # Ok::<(), streampark_core::Error>(())
//! # }).unwrap();
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod alert;
pub mod artifact;
pub mod cdc;
pub mod config;
pub mod deploy;
mod error;
pub mod flink;
pub mod flink_cli;
pub mod flink_home;
mod model;
pub mod platform;
pub mod registry;
pub mod runner;
pub mod spi;
pub mod sql;
pub mod store;
pub mod supervisor;
pub mod testkit;

pub use alert::{
    Alert, AlertError, AlertLink, AlertSink, AlertStatus, ParseSeverityError, Severity,
};
pub use deploy::{
    Capabilities, DeployRequest, Deployer, DeployerExt, Deployment, DeploymentId, JobDetails,
    JobSnapshot, LogFile, LogOptions, Logs, SavepointOptions, SavepointRef, Selector, SnapshotKind,
    StopMode, StopOptions, StopOutcome, remote::RemoteDeployer,
};
pub use error::{BoxError, Error, Result};
pub use flink_cli::{CliOutput, FlinkCli};
pub use flink_home::{FlinkEnvs, FlinkHome};
pub use model::*;
pub use platform::{Platform, Principal};
pub use registry::{DeployerFactory, DeployerOptions, Registry};
pub use sql::{FlinkSqlChecker, SqlChecker, SqlReport};
pub use store::{MemoryStore, SqliteStore, StateStore, Store};
pub use supervisor::{JobEvent, JobEventKind, Supervisor};
