//! The main job: a governed platform running one Flink SQL job, as a readable timeline.
//!
//! ```text
//! cargo run --example quickstart                                 # embedded simulator (virtual time)
//! FLINK_REST_URL=http://127.0.0.1:8081 cargo run --example quickstart   # a real Flink cluster
//! ```
//!
//! A `Platform` over its engine (the `Supervisor`) with an Alertmanager-style `Router`: a team
//! and a user, a SQL job created and deployed (it sets its own checkpoint interval, so a stock
//! cluster whose configuration enables no checkpointing works), its first checkpoint, on the
//! simulator an injected TaskManager loss that the engine restarts by itself from the latest
//! checkpoint with the alert routed to the on-call receiver, a change of the job's configuration
//! file that the engine rolls out by itself with a savepoint (the job's roll-out policy is
//! automatic), a stop with a savepoint, and the engine's event log. Every savepoint is
//! printed as `savepoint: <path>`; the process exits non-zero if any step failed.

use std::error::Error as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use streampark::alerts::{MemorySink, Router, RouterConfig};
use streampark::config::{ConfigKey, ConfigWatcher, FileSource};
use streampark::platform::{
    AuditQuery, CONFIG_ROLLOUT_LABEL, Member, Platform, Principal, StopHow, Team, User,
};
use streampark::store::MemoryStore;
use streampark::supervisor::Supervisor;
use streampark::testkit::{FaultPlan, SimDeployer};
use streampark::{
    Deployer, JobId, JobSpec, JobState, Owner, RemoteDeployer, RestartPolicy, Restore, StopOutcome,
};

const SQL: &str = "\
CREATE TABLE orders (id BIGINT, amount INT) WITH ('connector' = 'datagen', 'rows-per-second' = '10');
CREATE TABLE totals (amount INT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO totals SELECT amount, COUNT(*) FROM orders GROUP BY amount;
";

/// Major and critical alerts page the on-call receiver; everything else goes to the team.
const ROUTES: &str = "
route:
  receiver: team-ads
  group_by: [job, event]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: oncall
      matchers: ['severity=~\"major|critical\"']
receivers:
  - name: team-ads
  - name: oncall
";

/// Prints timeline lines relative to the start, on the clock that drives the run.
struct Timeline {
    start: tokio::time::Instant,
    wall: Instant,
    virtual_time: bool,
}

impl Timeline {
    fn line(&self, what: impl std::fmt::Display) {
        let t = if self.virtual_time {
            self.start.elapsed()
        } else {
            self.wall.elapsed()
        };
        println!("[t+{:>6.1}s] {what}", t.as_secs_f64());
    }
}

fn local_path(path: &str) -> String {
    // `file:/x` and `file:///x` are local paths; other schemes print as they are.
    match path
        .strip_prefix("file://")
        .or_else(|| path.strip_prefix("file:"))
    {
        Some(p) => p.to_string(),
        None => path.to_string(),
    }
}

fn report(e: &streampark::Error) -> ExitCode {
    eprintln!("quickstart failed: {e}");
    let mut src = e.source();
    while let Some(s) = src {
        eprintln!("  caused by: {s}");
        src = s.source();
    }
    ExitCode::FAILURE
}

fn failed(step: &str, why: impl std::fmt::Display) -> streampark::Error {
    streampark::Error::Other {
        backend: "quickstart",
        message: format!("{step}: {why}"),
        source: None,
    }
}

/// Where the job runs: the simulator (with the failure to inject) or a real cluster.
struct Target {
    cluster: Arc<dyn Deployer>,
    sim: Option<SimDeployer>,
    job: JobId,
    tl: Timeline,
}

/// A private directory for the job's configuration file, removed on drop.
struct ConfDir(std::path::PathBuf);

impl ConfDir {
    fn new() -> streampark::Result<Self> {
        let dir = std::env::temp_dir().join(format!("sp-quickstart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| failed("config dir", e))?;
        Ok(ConfDir(dir))
    }
}

impl Drop for ConfDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls `f` every half second until it yields a value, at most `limit`.
async fn until<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> streampark::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = streampark::Result<Option<T>>>,
{
    let start = tokio::time::Instant::now();
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if start.elapsed() > limit {
            return Err(streampark::Error::Timeout {
                backend: "quickstart",
                operation: format!("waiting for {what}"),
                after: limit,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn lifecycle(t: Target) -> streampark::Result<()> {
    let Target {
        cluster,
        sim,
        job,
        tl,
    } = t;
    let oncall = MemorySink::new().with_name("oncall");
    let team_sink = MemorySink::new().with_name("team-ads");
    let router = Router::builder(
        RouterConfig::from_yaml_str(ROUTES).map_err(|e| failed("alert routes", e))?,
    )
    .with_receiver_sink("oncall", oncall.clone())
    .with_receiver_sink("team-ads", team_sink.clone())
    .build()
    .map_err(|e| failed("alert router", e))?;

    // The engine: one store, one cluster, alerts through the router.
    let mut engine = Supervisor::builder(Arc::new(MemoryStore::new()))
        .with_id("quickstart")
        .with_cluster("local", cluster.clone())
        .with_alert_sink(Arc::new(router.clone()))
        .with_tick(Duration::from_secs(1));
    // The job's configuration file, watched by the platform (polled, so that the simulator's
    // virtual time drives it too).
    let conf_dir = ConfDir::new()?;
    let conf_file = conf_dir.0.join("orders.yaml");
    std::fs::write(&conf_file, "execution.checkpointing.interval: 5s\n")
        .map_err(|e| failed("config file", e))?;
    let source = FileSource::builder()
        .with_path(&conf_dir.0)
        .with_notify(false)
        .with_poll_interval(Duration::from_secs(1))
        .build()?;
    let mut watcher = ConfigWatcher::new(Arc::new(source));
    watcher.bind(job.clone(), ConfigKey::new("orders.yaml"));
    let mut pf = Platform::builder().with_config_watcher(watcher);
    if let Some(sim) = &sim {
        let (c1, c2) = (sim.clock().clone(), sim.clock().clone());
        engine = engine.with_clock(move || c1.now_ms());
        pf = pf.with_clock(move || c2.now_ms());
    }
    let pf = pf
        .with_supervisor(engine.build()?)
        .with_admin("root")
        .with_start_wait(Duration::from_secs(120))
        .build()
        .await?;
    let (root, ann) = (Principal::user("root"), Principal::user("ann"));
    pf.put_team(&root, Team::new("ads")).await?;
    pf.put_user(&root, User::new("ann")).await?;
    pf.put_member(&root, Member::new("ads", "ann", "developer"))
        .await?;
    tl.line("team `ads` with user `ann` (developer); alerts: major+ -> oncall, rest -> team-ads");

    // The job sets its own checkpoint interval: a stock cluster checkpoints nothing.
    let spec = JobSpec::sql(job.as_str(), SQL)?
        .with_name("Orders totals")
        .with_owner(Owner::team("ads"))
        .with_config("execution.checkpointing.interval", "5s")
        .with_label(CONFIG_ROLLOUT_LABEL, "automatic")
        .with_restore(Restore::Latest)
        .with_restart(RestartPolicy::FixedDelay {
            delay: Duration::from_secs(5),
            max_attempts: 3,
        });
    let v1 = pf.create_job(&ann, spec.clone(), "first version").await?;
    tl.line(format!(
        "ann created `{job}` version {} (SQL checked: {} statements)",
        v1.version,
        SQL.matches(';').count()
    ));
    let d1 = pf.deploy(&ann, &job).await?;
    tl.line(format!(
        "deployed version {} as attempt {} on cluster `{}` ({})",
        d1.version, d1.attempt, d1.cluster, d1.deployment
    ));

    // The engine runs from here on: restarts, adoption, checkpoint health, alerts.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let pf = pf.clone();
        tokio::spawn(async move {
            pf.run(async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    let running = |attempt: u64| {
        let (pf, ann, job) = (pf.clone(), ann.clone(), job.clone());
        async move {
            until(
                &format!("attempt {attempt} RUNNING"),
                Duration::from_secs(180),
                || async {
                    let v = pf.status(&ann, &job).await?;
                    Ok((v.attempt == attempt && v.state == Some(JobState::Running)).then_some(v))
                },
            )
            .await
        }
    };
    let first_checkpoint = |dep: streampark::DeploymentId| {
        let cluster = cluster.clone();
        async move {
            until("the first checkpoint", Duration::from_secs(120), || async {
                Ok(cluster.inspect(&dep).await?.latest_checkpoint)
            })
            .await
        }
    };
    let v = running(1).await?;
    tl.line("attempt 1 is RUNNING");
    let dep1 = v
        .deployment
        .ok_or_else(|| failed("status", "no deployment"))?;
    let cp = first_checkpoint(dep1.clone()).await?;
    tl.line(format!("first checkpoint completed: {}", cp.path));

    let mut attempt = 1;
    if let Some(sim) = &sim {
        let at = sim.clock().elapsed() + Duration::from_secs(12);
        sim.inject(FaultPlan::new().job_fails_at(
            &job,
            at,
            "TaskManager 127.0.0.1:40113 lost: heartbeat timed out (injected)",
        ));
        tl.line("a TaskManager loss is injected in 12 s; nobody touches the job");
        let v = running(2).await?;
        attempt = v.attempt;
        let attempts = pf.supervisor().store().attempts(&job).await?;
        let from = attempts
            .last()
            .and_then(|a| a.restore_from.clone())
            .unwrap_or_default();
        let latest = cluster
            .inspect(&dep1)
            .await?
            .latest_checkpoint
            .map(|c| c.path)
            .unwrap_or_default();
        tl.line(format!(
            "the engine restarted it: attempt {} RUNNING, restored from {from}",
            v.attempt
        ));
        if from != latest {
            return Err(failed(
                "restart",
                format!("restored from `{from}`, not attempt 1's latest checkpoint `{latest}`"),
            ));
        }
        tl.line("  = attempt 1's latest checkpoint");
        router.flush_all().await;
        for a in oncall.alerts() {
            tl.line(format!("alert -> oncall: [{}] {}", a.severity, a.title));
        }
        if oncall.is_empty() {
            return Err(failed("alerts", "the on-call receiver got nothing"));
        }
    }

    // A change of the job's configuration file: the engine saves a version and, the job's
    // policy being automatic, rolls it out with a savepoint by itself.
    std::fs::write(&conf_file, "execution.checkpointing.interval: 10s\n")
        .map_err(|e| failed("config file", e))?;
    tl.line("orders.yaml: execution.checkpointing.interval 5s -> 10s");
    let d = until(
        "the configuration roll-out",
        Duration::from_secs(180),
        || async {
            let deploys = pf.deploys(&ann, &job).await?;
            Ok(deploys.last().filter(|d| d.attempt > attempt).cloned())
        },
    )
    .await?;
    let sp = d
        .restored_from
        .clone()
        .ok_or_else(|| failed("roll-out", "no savepoint"))?;
    let why = pf
        .audit(&root, AuditQuery::new().with_job(job.as_str()))
        .await?
        .into_iter()
        .rev()
        .find(|r| r.action == "config.apply")
        .ok_or_else(|| failed("roll-out", "no config.apply audit record"))?;
    tl.line(format!(
        "the engine rolled out version {}: attempt {} -> {} (audit: {} by {})",
        d.version, attempt, d.attempt, why.note, why.user
    ));
    println!("savepoint: {}", local_path(&sp));
    let v = running(d.attempt).await?;
    tl.line(format!("attempt {} is RUNNING", d.attempt));
    // A completed checkpoint means every task runs: a savepoint can be taken.
    let dep = v
        .deployment
        .ok_or_else(|| failed("status", "no deployment"))?;
    let cp = first_checkpoint(dep).await?;
    tl.line(format!("attempt {} checkpointed: {}", d.attempt, cp.path));

    // Stop with a savepoint: the engine keeps it stopped.
    match pf.stop(&ann, &job, StopHow::Savepoint).await? {
        StopOutcome::Stopped {
            savepoint: Some(sp),
        } => {
            tl.line("stopped with a savepoint");
            println!("savepoint: {}", local_path(&sp.path));
        }
        other => return Err(failed("stop", format!("{other:?}"))),
    }
    let _ = stop_tx.send(());
    runner.await.map_err(|e| failed("engine", e))??;
    router.flush_all().await;

    tl.line("the engine's event log:");
    for e in pf.events(&ann, &job, 0, 100).await? {
        if e.kind.starts_with("audit.") {
            continue;
        }
        let restored = match (e.kind.as_str(), &e.detail) {
            ("started", d) => d["restored_from"]
                .as_str()
                .map(|r| format!(" from {r}"))
                .unwrap_or_default(),
            ("failed", d) => d["reason"]
                .as_str()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        println!("             attempt {} {}{restored}", e.attempt, e.kind);
    }
    tl.line(format!(
        "done: {} alerts to team-ads, {} to oncall",
        team_sink.len(),
        oncall.len()
    ));
    Ok(())
}

async fn real(url: String) -> ExitCode {
    let tl = Timeline {
        start: tokio::time::Instant::now(),
        wall: Instant::now(),
        virtual_time: false,
    };
    let cluster: Arc<dyn Deployer> = match RemoteDeployer::builder()
        .with_url(url.clone())
        .with_request_timeout(Duration::from_secs(60))
        .build()
    {
        Ok(d) => Arc::new(d),
        Err(e) => return report(&e),
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let job = match JobId::new(format!("quickstart-{stamp}-{}", std::process::id())) {
        Ok(j) => j,
        Err(e) => return report(&e),
    };
    tl.line(format!("real Flink at {url}"));
    match lifecycle(Target {
        cluster,
        sim: None,
        job,
        tl,
    })
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

async fn simulated() -> ExitCode {
    let tl = Timeline {
        start: tokio::time::Instant::now(),
        wall: Instant::now(),
        virtual_time: true,
    };
    let sim = SimDeployer::builder()
        .with_checkpoint_interval(Duration::from_secs(5))
        .build();
    tl.line("embedded simulator (virtual time)");
    let job = match JobId::new("orders-totals") {
        Ok(j) => j,
        Err(e) => return report(&e),
    };
    match lifecycle(Target {
        cluster: Arc::new(sim.clone()),
        sim: Some(sim),
        job,
        tl,
    })
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match std::env::var("FLINK_REST_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(real(url)))
            .unwrap_or(ExitCode::FAILURE),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .map(|rt| rt.block_on(simulated()))
            .unwrap_or(ExitCode::FAILURE),
    }
}
