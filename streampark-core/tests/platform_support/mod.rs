//! Shared fixtures of the platform tests: a platform on the simulator with two teams and one
//! user per built-in role in team `a`, and a deployer wrapper that records what it was asked.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use streampark_core::platform::{Member, Permission, Platform, Principal, Role, Team, User};
use streampark_core::store::Store;
use streampark_core::testkit::SimDeployer;
use streampark_core::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, JobDetails, JobSnapshot,
    JobSpec, LogOptions, Logs, Owner, Result, SavepointOptions, SavepointRef, Selector,
    StopOptions, StopOutcome,
};

/// A valid SQL script (datagen -> blackhole).
pub const SQL: &str = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen');\n\
CREATE TABLE snk (a INT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT a FROM src;\n";

/// Records every deploy request before passing it to the simulator; a gated one then waits
/// until the test lets it go on ([`Gate::open_once`]).
#[derive(Debug, Clone)]
pub struct Recording {
    pub inner: SimDeployer,
    pub requests: Arc<Mutex<Vec<DeployRequest>>>,
    pub gate: Option<Arc<Gate>>,
}

/// Where a gated [`Recording`]'s deploys wait.
#[derive(Debug)]
pub struct Gate {
    /// Notified when a deploy arrives at the gate.
    pub entered: tokio::sync::Notify,
    permits: tokio::sync::Semaphore,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            entered: tokio::sync::Notify::new(),
            permits: tokio::sync::Semaphore::new(0),
        }
    }
}

impl Gate {
    /// Lets one waiting (or the next) deploy through.
    pub fn open_once(&self) {
        self.permits.add_permits(1);
    }
}

impl Recording {
    pub fn new() -> Self {
        Recording {
            inner: SimDeployer::builder()
                .with_startup_delay(Duration::ZERO)
                .build(),
            requests: Arc::default(),
            gate: None,
        }
    }
    pub fn gated() -> Self {
        Recording {
            gate: Some(Arc::default()),
            ..Self::new()
        }
    }
    pub fn deploys(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
    pub fn last(&self) -> DeployRequest {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a deploy happened")
    }
}

#[async_trait::async_trait]
impl Deployer for Recording {
    fn backend(&self) -> &'static str {
        "sim"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        self.requests.lock().unwrap().push(req.clone());
        if let Some(g) = &self.gate {
            g.entered.notify_one();
            g.permits.acquire().await.expect("gate open").forget();
        }
        self.inner.deploy(req).await
    }
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        self.inner.list(selector).await
    }
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        self.inner.inspect(id).await
    }
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        self.inner.savepoint(id, opts).await
    }
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        self.inner.stop(id, opts).await
    }
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        self.inner.logs(id, opts).await
    }
}

pub struct Fixture {
    pub platform: Platform,
    pub store: Arc<dyn Store>,
    pub deployer: Recording,
    pub root: Principal,
}

pub fn p(user: &str) -> Principal {
    Principal::user(user)
}

pub fn spec(id: &str, team: &str) -> JobSpec {
    JobSpec::sql(id, SQL).unwrap().with_owner(Owner::team(team))
}

/// Teams `a` and `b`; in `a`: `a-admin`, `a-developer`, `a-operator`, `a-viewer`, plus custom
/// roles `deployer` (view, deploy, stop) and `auditor` (audit read, config read) held by
/// `a-deployer` and `a-auditor`; in `b`: `b-developer`. `root` is a platform administrator and
/// `nobody` is a known user without memberships.
pub async fn fixture(store: Arc<dyn Store>) -> Fixture {
    let deployer = Recording::new();
    let platform = Platform::builder()
        .with_deployer(Arc::new(deployer.clone()))
        .with_store(store.clone())
        .with_admin("root")
        .build()
        .await
        .unwrap();
    let root = p("root");
    for t in ["a", "b"] {
        platform.put_team(&root, Team::new(t)).await.unwrap();
    }
    platform
        .put_role(
            &root,
            Role::new(
                "deployer",
                [
                    Permission::JobView,
                    Permission::JobDeploy,
                    Permission::JobStop,
                ],
            ),
        )
        .await
        .unwrap();
    platform
        .put_role(
            &root,
            Role::new("auditor", [Permission::AuditRead, Permission::ConfigRead]),
        )
        .await
        .unwrap();
    for role in [
        "admin",
        "developer",
        "operator",
        "viewer",
        "deployer",
        "auditor",
    ] {
        let user = format!("a-{role}");
        platform.put_user(&root, User::new(&user)).await.unwrap();
        platform
            .put_member(&root, Member::new("a", &user, role))
            .await
            .unwrap();
    }
    platform
        .put_user(&root, User::new("b-developer"))
        .await
        .unwrap();
    platform
        .put_member(&root, Member::new("b", "b-developer", "developer"))
        .await
        .unwrap();
    platform.put_user(&root, User::new("nobody")).await.unwrap();
    Fixture {
        platform,
        store,
        deployer,
        root,
    }
}

/// Number of audit records in the store.
pub async fn audit_count(store: &dyn Store) -> usize {
    let mut n = 0;
    let mut after = 0;
    loop {
        let page = store
            .audit(&streampark_core::platform::AuditQuery::new().with_page(after, 500))
            .await
            .unwrap();
        if page.is_empty() {
            return n;
        }
        n += page.len();
        after = page.last().unwrap().seq;
    }
}

#[cfg(feature = "postgres")]
#[path = "../pg_support/mod.rs"]
pub mod pg_support;

/// A PostgreSQL store in a fresh schema `pf_<name>_<pid>` of
/// `STREAMPARK_IT_POSTGRES_URL`; `None` (the test skips) when that is not set.
#[cfg(feature = "postgres")]
pub async fn postgres(name: &str) -> Option<streampark_core::store::PostgresStore> {
    let url = pg_support::fresh_schema_url(&format!("pf_{name}")).await?;
    Some(
        streampark_core::store::PostgresStore::connect(&url)
            .await
            .expect("store"),
    )
}

/// A platform whose configuration watcher is `watcher`, ticking every 200 ms, with team `ads`
/// and its developer `ann` (returned): the set-up of the live-configuration tests.
pub async fn config_platform(
    deployer: Arc<dyn Deployer>,
    store: Arc<dyn Store>,
    watcher: streampark_core::config::ConfigWatcher,
) -> (Platform, Principal) {
    let pf = Platform::builder()
        .with_deployer(deployer)
        .with_store(store)
        .with_config_watcher(watcher)
        .with_tick(Duration::from_millis(200))
        .with_admin("root")
        .build()
        .await
        .unwrap();
    let root = p("root");
    pf.put_team(&root, Team::new("ads")).await.unwrap();
    pf.put_user(&root, User::new("ann")).await.unwrap();
    pf.put_member(&root, Member::new("ads", "ann", "developer"))
        .await
        .unwrap();
    (pf, p("ann"))
}
