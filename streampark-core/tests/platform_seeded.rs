//! The seeded fault harness of the one engine: two platforms (two host replicas) on one store
//! drive one job with concurrent deploys, restarts, rollbacks, roll-outs, stops, injected job
//! failures and host restarts, in virtual time, on memory and SQLite stores (PostgreSQL when
//! `STREAMPARK_IT_POSTGRES_URL` is set). After every step, and at every deploy the cluster
//! receives: never two live attempts of the job. Every platform call leaves exactly one audit
//! record, whatever its outcome.

mod platform_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform_support::{SQL, audit_count};
use streampark_core::platform::{Member, Platform, Principal, StopHow, Team, User};
use streampark_core::store::{MemoryStore, SqliteStore, Store};
use streampark_core::testkit::{FaultPlan, SimDeployer, VirtualClock};
use streampark_core::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, JobDetails, JobId,
    JobSnapshot, JobSpec, LogOptions, Logs, Owner, RestartPolicy, Result, SavepointOptions,
    SavepointRef, Selector, StopOptions, StopOutcome,
};

/// The cluster both replicas share; at every deploy it counts the job's live deployments
/// (after the deploy) and keeps the maximum seen.
#[derive(Debug, Clone)]
struct Watched {
    sim: SimDeployer,
    max_live: Arc<AtomicUsize>,
    /// The simulator's clock is advanced by hand (SQLite's worker threads and tokio's paused
    /// clock do not mix: a paused runtime jumps past the pool's timeouts).
    manual: bool,
}

impl Watched {
    async fn live(&self) -> usize {
        self.sim
            .list(&Selector::All)
            .await
            .unwrap()
            .iter()
            .filter(|s| s.state.is_live())
            .count()
    }
}

#[async_trait::async_trait]
impl Deployer for Watched {
    fn backend(&self) -> &'static str {
        "sim"
    }
    fn capabilities(&self) -> Capabilities {
        self.sim.capabilities()
    }
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        let out = self.sim.deploy(req).await;
        let live = self.live().await;
        self.max_live.fetch_max(live, Ordering::SeqCst);
        out
    }
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        self.sim.list(selector).await
    }
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        self.sim.inspect(id).await
    }
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        self.sim.savepoint(id, opts).await
    }
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        self.sim.stop(id, opts).await
    }
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        self.sim.logs(id, opts).await
    }
}

/// splitmix64: a small deterministic generator, so that a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The one store both replicas share (governance and engine records).
struct Stores {
    docs: Arc<dyn Store>,
}

async fn replica(stores: &Stores, cluster: &Watched, name: &str) -> Platform {
    let clock = cluster.sim.clock().clone();
    // In manual time nothing moves while a replica waits for the other's lease: give up soon.
    let wait = if cluster.manual {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(45)
    };
    Platform::builder()
        .with_deployer(Arc::new(cluster.clone()))
        .with_store(stores.docs.clone())
        .with_engine_id(name)
        .with_clock(move || clock.now_ms())
        .with_start_wait(wait)
        .with_admin("root")
        .build()
        .await
        .unwrap()
}

fn spec(version: u64) -> JobSpec {
    JobSpec::sql("orders", SQL)
        .unwrap()
        .with_owner(Owner::team("ads"))
        .with_config("pipeline.name", format!("orders v{version}"))
        .with_restart(RestartPolicy::FixedDelay {
            delay: Duration::from_secs(3),
            max_attempts: 100,
        })
}

/// One platform call, by number.
async fn call(pf: &Platform, op: u64, edits: &AtomicUsize) {
    let p = Principal::user("ann");
    let id = JobId::new("orders").unwrap();
    let _ = match op {
        0 => pf.deploy(&p, &id).await.map(|_| ()),
        1 => pf.restart(&p, &id).await.map(|_| ()),
        2 => pf.stop(&p, &id, StopHow::Savepoint).await.map(|_| ()),
        3 => pf.stop(&p, &id, StopHow::Cancel).await.map(|_| ()),
        4 => pf.rollback(&p, &id, 1, "", true).await.map(|_| ()),
        5 => {
            // A roll-out: a new version, then a restart onto it (two calls).
            let n = edits.fetch_add(1, Ordering::SeqCst) as u64 + 2;
            let _ = pf.update_job(&p, spec(n), "edit").await;
            pf.restart(&p, &id).await.map(|_| ())
        }
        _ => pf.savepoint(&p, &id).await.map(|_| ()),
    };
}

fn calls_of(op: u64) -> usize {
    if op == 5 { 2 } else { 1 }
}

async fn run_seed(seed: u64, stores: Stores, manual: bool) -> (u64, usize) {
    let mut rng = Rng(seed);
    let mut sim = SimDeployer::builder().with_checkpoint_interval(Duration::from_secs(5));
    if manual {
        sim = sim.with_clock(VirtualClock::manual());
    }
    let cluster = Watched {
        sim: sim.build(),
        max_live: Arc::default(),
        manual,
    };
    let id = JobId::new("orders").unwrap();
    let mut a = replica(&stores, &cluster, "replica-a").await;
    let mut b = replica(&stores, &cluster, "replica-b").await;
    let root = Principal::user("root");
    a.put_user(&root, User::new("ann")).await.unwrap();
    a.put_team(&root, Team::new("ads")).await.unwrap();
    a.put_member(&root, Member::new("ads", "ann", "developer"))
        .await
        .unwrap();
    a.create_job(&Principal::user("ann"), spec(1), "v1")
        .await
        .unwrap();
    let edits = AtomicUsize::new(0);
    let mut restarts = 0;
    for step in 0..10 {
        let before = audit_count(&*stores.docs).await;
        let mut calls = 0;
        match rng.below(10) {
            // Two requests at once, one on each replica.
            0..=5 => {
                let (x, y) = (rng.below(7), rng.below(7));
                calls += calls_of(x) + calls_of(y);
                tokio::join!(call(&a, x, &edits), call(&b, y, &edits));
            }
            // The job fails on the cluster a little later.
            6 => {
                let at = cluster.sim.clock().elapsed() + Duration::from_secs(1 + rng.below(4));
                cluster
                    .sim
                    .inject(FaultPlan::new().job_fails_at(&id, at, "TaskManager lost"));
            }
            // A host restarts: replica b comes back under a new id, with nothing in memory.
            7 => {
                restarts += 1;
                b = replica(&stores, &cluster, &format!("replica-b{restarts}")).await;
            }
            8 => {
                restarts += 1;
                a = replica(&stores, &cluster, &format!("replica-a{restarts}")).await;
            }
            // Both engines tick while time passes (restarts after failures happen here).
            _ => {}
        }
        for _ in 0..rng.below(8) {
            let _ = tokio::join!(a.supervisor().tick(), b.supervisor().tick());
            if manual {
                cluster.sim.clock().advance(Duration::from_secs(1));
            } else {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let live = cluster.live().await;
        assert!(live <= 1, "seed {seed} step {step}: {live} live attempts");
        assert!(
            cluster.max_live.load(Ordering::SeqCst) <= 1,
            "seed {seed} step {step}: two live attempts at a deploy"
        );
        assert_eq!(
            audit_count(&*stores.docs).await,
            before + calls,
            "seed {seed} step {step}: one audit record per call"
        );
    }
    // What the seed exercised: deploys the cluster received, failures the engine restarted.
    let restarted = stores
        .docs
        .events(Some(&id), 0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "started" && e.detail["restart"] == true)
        .count();
    (cluster.sim.stats().deploys, restarted)
}

async fn memory() -> Stores {
    Stores {
        docs: Arc::new(MemoryStore::new()),
    }
}

#[tokio::test(start_paused = true)]
async fn two_replicas_never_run_a_job_twice_on_memory() {
    let (mut deploys, mut restarted) = (0, 0);
    for seed in 0..200 {
        let (d, r) = run_seed(seed, memory().await, false).await;
        deploys += d;
        restarted += r;
    }
    // The harness is not idle: jobs were started many times, and failed jobs restarted.
    assert!(deploys > 400, "{deploys} deploys");
    assert!(restarted > 20, "{restarted} restarts after a failure");
}

#[tokio::test]
async fn two_replicas_never_run_a_job_twice_on_sqlite() {
    for seed in 1000..1040 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.db");
        // One database file for the governance records and the engine's.
        let stores = Stores {
            docs: Arc::new(SqliteStore::open(&path).await.unwrap()),
        };
        run_seed(seed, stores, true).await;
    }
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn two_replicas_never_run_a_job_twice_on_postgres() {
    for seed in 2000..2020 {
        let Some(docs) = platform_support::postgres(&format!("seeded_{seed}")).await else {
            return;
        };
        run_seed(
            seed,
            Stores {
                docs: Arc::new(docs),
            },
            true,
        )
        .await;
    }
}
