//! A simulated YARN cluster for tests (feature `testkit`, not semver-stable): several
//! ResourceManagers sharing one state with one of them active, the `/proxy/<appId>/` web proxy,
//! one simulated Flink JobManager REST server per application attempt, a NodeManager log
//! endpoint and a WebHDFS NameNode + DataNode. Everything listens on `127.0.0.1:0`.
//!
//! Written from Hadoop's ResourceManagerRest.md / WebHDFS.md and the behaviour notes of
//! `RMWebAppFilter` (standby redirects) and `WebAppProxyServlet` (GET/PUT only), and checked
//! against the answers of a real Hadoop 3.4.2 (`tests/fixtures/real-hadoop-3.4.2`, compared
//! shape for shape by `tests/rm_recorded.rs`):
//!
//! - a standby RM answers `/ws/v1/cluster/info` with `haState: STANDBY` and redirects every other
//!   `/ws/v1` path with `307` + `Location` on the active RM;
//! - tags are lower-cased on submission, as YARN does; `{"apps": {}}` when nothing matches;
//!   an ended application has no `amRPCAddress` and its tracking URL is the RM's page of it;
//!   the queue is reported by its full path (`root.streaming`), as a real RM does;
//! - an attempt's containers come without the `containers` root, numbers as strings, and one
//!   container as the object itself (Jersey's rendering of a one-element list);
//! - the NodeManager frames a container log (`Container: … LogContents: … End of LogType:`);
//! - `PUT …/state {"state":"KILLED"}` answers 202 (`{"state":"KILLING"}`) first, 200 once the
//!   app is killed, 200 with the state for a target equal to it, and 400 for any other target;
//!   a user name is required (as on a cluster that refuses anonymous simple auth);
//! - the proxy forwards GET and PUT to the application's current JobManager, 405 otherwise;
//! - the NameNode refuses (and counts) a CREATE that carries a body.
//!
//! Time follows a [`VirtualClock`] (tokio time by default). Fault knobs: [`SimYarn::failover`],
//! [`SimYarn::vanish`], [`SimYarn::finish_on_kill`], [`SimYarn::restart_am`].

mod hdfs;
mod jobmanager;
mod rm;
mod submitter;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use streampark_core::testkit::{SimJobManager, VirtualClock};
use streampark_core::{Error, Result};
use url::Url;

pub use submitter::SimSubmitter;

use crate::rm::{AppState, FinalStatus};
use jobmanager::{FAILURE, jm_log};

/// A running simulated YARN cluster. Clones share the cluster; servers stop when the last
/// clone is dropped... or with the test's runtime.
#[derive(Clone)]
pub struct SimYarn {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) clock: VirtualClock,
    pub(crate) rm_addrs: Vec<SocketAddr>,
    pub(crate) dn_addr: SocketAddr,
    pub(crate) nm_addr: SocketAddr,
    pub(crate) nn_url: Url,
    /// The second NameNode of the HA pair (standby until [`SimYarn::failover_namenode`]).
    pub(crate) nn2_url: Url,
    pub(crate) http: reqwest::Client,
}

impl fmt::Debug for SimYarn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimYarn")
            .field("rms", &self.shared.rm_addrs)
            .field("namenodes", &[&self.shared.nn_url, &self.shared.nn2_url])
            .finish()
    }
}

/// Counters a test can assert on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimYarnStats {
    /// `/ws/v1` requests a standby RM redirected.
    pub standby_redirects: u64,
    /// CREATE requests that sent a body to the NameNode (must stay 0).
    pub namenode_bodies: u64,
    /// Files written through a DataNode.
    pub datanode_writes: u64,
    /// Requests the proxy refused because of their method.
    pub proxy_refused: u64,
    /// Kill requests accepted.
    pub kills: u64,
    /// WebHDFS requests a standby NameNode refused (`StandbyException`).
    pub namenode_standby_refusals: u64,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) active: usize,
    /// Index of the active NameNode (0 or 1).
    pub(crate) nn_active: usize,
    pub(crate) next_app: u64,
    pub(crate) apps: BTreeMap<String, SimApp>,
    pub(crate) files: BTreeMap<String, SimFile>,
    pub(crate) stats: SimYarnStats,
    /// Container logs kept by the NodeManager (also after the app ended, as aggregation).
    pub(crate) container_logs: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub(crate) struct SimFile {
    pub(crate) dir: bool,
    pub(crate) len: u64,
    pub(crate) mtime: i64,
    pub(crate) data: Vec<u8>,
}

pub(crate) struct SimApp {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) queue: String,
    pub(crate) user: String,
    pub(crate) tags: Vec<String>,
    pub(crate) state: AppState,
    pub(crate) final_status: FinalStatus,
    pub(crate) diagnostics: String,
    pub(crate) started: i64,
    pub(crate) finished: i64,
    pub(crate) attempts: Vec<SimAttempt>,
    /// The application's JobManager (one per application; each attempt serves it anew).
    pub(crate) jm: SimJobManager,
    /// The Flink job id of an application cluster (empty for a session cluster).
    pub(crate) jid: String,
    /// When the job of a `-- sim: fail-after` script fails.
    pub(crate) fail_at: Option<i64>,
    /// When set, the app ends at that time with that outcome.
    pub(crate) ends_at: Option<(i64, AppState, FinalStatus)>,
    pub(crate) kill_requested: bool,
    pub(crate) finish_on_kill: bool,
    /// A session cluster: its JobManager runs jobs submitted to it.
    pub(crate) session: bool,
}

pub(crate) struct SimAttempt {
    pub(crate) n: u32,
    pub(crate) jm_addr: SocketAddr,
    pub(crate) server: tokio::task::JoinHandle<()>,
    pub(crate) container: String,
    pub(crate) start: i64,
}

impl SimApp {
    pub(crate) fn current(&self) -> Option<&SimAttempt> {
        self.attempts.last()
    }

    /// Ends the app now (stops its JobManager).
    pub(crate) fn end(&mut self, now: i64, state: AppState, fin: FinalStatus) {
        if self.state.is_terminal() {
            return;
        }
        self.state = state;
        self.final_status = fin;
        self.finished = now;
        self.ends_at = None;
        if let Some(a) = self.attempts.last() {
            a.server.abort();
        }
    }
}

impl State {
    /// Moves time-driven transitions forward.
    pub(crate) fn tick(&mut self, now: i64) {
        for app in self.apps.values_mut() {
            if app.state.is_terminal() {
                continue;
            }
            if app.kill_requested {
                // A session's jobs are canceled with it; an application's job ends as the
                // application does.
                let job_state = if app.finish_on_kill && !app.session {
                    "FINISHED"
                } else {
                    "CANCELED"
                };
                for j in app.jm.jobs() {
                    app.jm.end_job(&j.jid, job_state);
                }
                if app.finish_on_kill {
                    app.end(now, AppState::Finished, FinalStatus::Succeeded);
                } else {
                    if app.diagnostics.is_empty() {
                        app.diagnostics = format!("Application {} was killed", app.id);
                    }
                    app.end(now, AppState::Killed, FinalStatus::Killed);
                }
                continue;
            }
            if let Some(at) = app.fail_at
                && now >= at
                && app.jm.fail_job(&app.jid, FAILURE)
            {
                app.diagnostics =
                    format!("Application failed: the Flink job ended FAILED.\n{FAILURE}");
                app.end(now, AppState::Finished, FinalStatus::Failed);
                continue;
            }
            // The AM reports a job ended through REST (cancel, stop) and unregisters shortly
            // after, as Flink's does. One job of a session ends; the session keeps running.
            if app.ends_at.is_none()
                && !app.session
                && let Some(j) = app.jm.job(&app.jid)
                && let Some(fin) = match j.state {
                    "CANCELED" => Some(FinalStatus::Killed),
                    "FINISHED" => Some(FinalStatus::Succeeded),
                    _ => None,
                }
            {
                app.ends_at = Some((j.end + 300, AppState::Finished, fin));
            }
            if let Some((at, s, f)) = app.ends_at
                && now >= at
            {
                app.end(now, s, f);
            }
        }
    }
}

/// Builder of [`SimYarn`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SimYarnBuilder {
    rms: Option<usize>,
    clock: Option<VirtualClock>,
}

impl SimYarnBuilder {
    /// Number of ResourceManagers (HA ids); default 2, the first one active.
    pub fn with_resource_managers(mut self, n: usize) -> Self {
        self.rms = Some(n.max(1));
        self
    }
    /// The clock (default: one following tokio time).
    pub fn with_clock(mut self, clock: VirtualClock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Binds every server on `127.0.0.1:0` and starts them on the current tokio runtime.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when a port cannot be bound.
    pub async fn start(self) -> Result<SimYarn> {
        let n = self.rms.unwrap_or(2);
        let mut rm_listeners = Vec::new();
        for _ in 0..n {
            rm_listeners.push(bind().await?);
        }
        let nn = bind().await?;
        let nn2 = bind().await?;
        let dn = bind().await?;
        let nm = bind().await?;
        let addr = |l: &tokio::net::TcpListener| {
            l.local_addr().map_err(|e| unavailable("local address", e))
        };
        let mut rm_addrs = Vec::new();
        for l in &rm_listeners {
            rm_addrs.push(addr(l)?);
        }
        let nn_addr = addr(&nn)?;
        let nn_url = Url::parse(&format!("http://{nn_addr}")).map_err(|e| Error::Other {
            backend: "yarn-sim",
            message: format!("NameNode URL for {nn_addr}"),
            source: Some(Box::new(e)),
        })?;
        let nn2_addr = addr(&nn2)?;
        let nn2_url = Url::parse(&format!("http://{nn2_addr}")).map_err(|e| Error::Other {
            backend: "yarn-sim",
            message: format!("NameNode URL for {nn2_addr}"),
            source: Some(Box::new(e)),
        })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            clock: self.clock.unwrap_or_default(),
            rm_addrs,
            nn_url,
            nn2_url,
            dn_addr: addr(&dn)?,
            nm_addr: addr(&nm)?,
            http: streampark_core::spi::http_client(Duration::from_secs(30))?,
        });
        let sim = SimYarn { shared };
        for (i, l) in rm_listeners.into_iter().enumerate() {
            serve(l, rm::router(sim.clone(), i));
        }
        serve(nn, hdfs::namenode(sim.clone(), 0));
        serve(nn2, hdfs::namenode(sim.clone(), 1));
        serve(dn, hdfs::datanode(sim.clone()));
        serve(nm, rm::nodemanager(sim.clone()));
        tracing::debug!(?sim, "simulated YARN cluster started");
        Ok(sim)
    }
}

pub(crate) async fn bind() -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| unavailable("bind 127.0.0.1:0", e))
}

pub(crate) fn serve(l: tokio::net::TcpListener, app: axum::Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    })
}

fn unavailable(what: &str, e: std::io::Error) -> Error {
    Error::Unavailable {
        backend: "yarn-sim",
        what: what.to_string(),
        retry_after: None,
        source: Some(Box::new(e)),
    }
}

impl SimYarn {
    /// A builder.
    pub fn builder() -> SimYarnBuilder {
        SimYarnBuilder::default()
    }

    /// Two RMs (the first active) on a tokio clock.
    ///
    /// # Errors
    /// See [`SimYarnBuilder::start`].
    pub async fn start() -> Result<SimYarn> {
        Self::builder().start().await
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a test panicked while holding it; keep serving.
        let mut g = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.shared.clock.now_ms();
        g.tick(now);
        g
    }

    pub(crate) fn now(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// The clock the cluster follows.
    pub fn clock(&self) -> &VirtualClock {
        &self.shared.clock
    }

    /// Every RM's web address, in HA-id order.
    pub fn rm_urls(&self) -> Vec<Url> {
        self.shared
            .rm_addrs
            .iter()
            .filter_map(|a| Url::parse(&format!("http://{a}")).ok())
            .collect()
    }

    /// The WebHDFS address of the first NameNode (active at start).
    pub fn webhdfs_url(&self) -> Url {
        self.shared.nn_url.clone()
    }

    /// The WebHDFS addresses of both NameNodes of the HA pair, in id order (`nn1`, `nn2`).
    /// The first is active at start; the other refuses every request with `StandbyException`.
    pub fn webhdfs_urls(&self) -> Vec<Url> {
        vec![self.shared.nn_url.clone(), self.shared.nn2_url.clone()]
    }

    /// Makes NameNode `index` (0 or 1) the active one; the other turns standby. Both serve the
    /// same namespace.
    pub fn failover_namenode(&self, index: usize) {
        self.lock().nn_active = index.min(1);
    }

    /// Makes RM `index` the active one (the others turn standby).
    pub fn failover(&self, index: usize) {
        let mut g = self.lock();
        g.active = index.min(self.shared.rm_addrs.len().saturating_sub(1));
    }

    /// Index of the active RM.
    pub fn active(&self) -> usize {
        self.lock().active
    }

    /// The RM forgets an application (it vanishes from every answer).
    pub fn vanish(&self, app_id: &str) -> bool {
        let mut g = self.lock();
        match g.apps.remove(app_id) {
            Some(a) => {
                if let Some(at) = a.current() {
                    at.server.abort();
                }
                true
            }
            None => false,
        }
    }

    /// Kill race: when a kill arrives, the application finishes on its own instead
    /// (ends `FINISHED`/`SUCCEEDED`).
    pub fn finish_on_kill(&self, app_id: &str) {
        if let Some(a) = self.lock().apps.get_mut(app_id) {
            a.finish_on_kill = true;
        }
    }

    /// The application master restarts on another "host": a new attempt with a new
    /// JobManager address; the old one stops answering. The Flink job keeps its state.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown or ended application.
    pub async fn restart_am(&self, app_id: &str) -> Result<SocketAddr> {
        let listener = bind().await?;
        let addr = listener
            .local_addr()
            .map_err(|e| unavailable("local address", e))?;
        let mut g = self.lock();
        let now = self.now();
        let Some(app) = g.apps.get_mut(app_id).filter(|a| !a.state.is_terminal()) else {
            return Err(Error::not_found(
                "yarn-sim",
                format!("live application {app_id}"),
            ));
        };
        if let Some(old) = app.attempts.last() {
            old.server.abort();
        }
        let n = app.attempts.len() as u32 + 1;
        let server = serve(listener, app.jm.router());
        let container = container_id(app_id, n);
        app.attempts.push(SimAttempt {
            n,
            jm_addr: addr,
            server,
            container: container.clone(),
            start: now,
        });
        app.jm.failover(&app.jid);
        app.jm.set_log(jm_log(app, n));
        drop(g);
        self.lock().container_logs.insert(
            container,
            format!("{now} INFO  JobManager restarted (attempt {n}) for {app_id}\n"),
        );
        Ok(addr)
    }

    /// The Flink job of a live application cluster restarts (`RESTARTING` in Flink's REST
    /// API) while YARN still reports the application `RUNNING`; `false` lets it run again.
    /// False for an unknown application, a session cluster, or a job in neither state.
    pub fn job_restarting(&self, app_id: &str, restarting: bool) -> bool {
        let g = self.lock();
        match g.apps.get(app_id).filter(|a| !a.session) {
            Some(a) => a.jm.set_restarting(&a.jid, restarting),
            None => false,
        }
    }

    /// The application master stops answering (its host is lost) without a new attempt yet.
    pub fn am_unreachable(&self, app_id: &str) -> bool {
        match self.lock().apps.get(app_id).and_then(|a| a.current()) {
            Some(a) => {
                a.server.abort();
                true
            }
            None => false,
        }
    }

    /// The state of an application, `None` when the RM does not know it.
    pub fn app_state(&self, app_id: &str) -> Option<AppState> {
        self.lock().apps.get(app_id).map(|a| a.state)
    }

    /// Ids of every application the RM knows.
    pub fn app_ids(&self) -> Vec<String> {
        self.lock().apps.keys().cloned().collect()
    }

    /// Tags of an application as the RM stores them (lower-cased).
    pub fn app_tags(&self, app_id: &str) -> Vec<String> {
        self.lock()
            .apps
            .get(app_id)
            .map(|a| a.tags.clone())
            .unwrap_or_default()
    }

    /// Paths and sizes of the files in the simulated HDFS.
    pub fn files(&self) -> BTreeMap<String, u64> {
        self.lock()
            .files
            .iter()
            .filter(|(_, f)| !f.dir)
            .map(|(p, f)| (p.clone(), f.len))
            .collect()
    }

    /// Counters.
    pub fn stats(&self) -> SimYarnStats {
        self.lock().stats
    }
}

pub(crate) fn container_id(app_id: &str, attempt: u32) -> String {
    let rest = app_id.trim_start_matches("application_");
    format!("container_{rest}_{attempt:02}_000001")
}
