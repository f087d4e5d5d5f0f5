//! The whole lifecycle of a Flink SQL job through one `Deployer`.
//!
//! ```text
//! cargo run --example quickstart                                 # embedded simulator (virtual time)
//! FLINK_REST_URL=http://127.0.0.1:8081 cargo run --example quickstart   # a real Flink cluster
//! ```
//!
//! On the simulator: deploy a SQL job, watch it reach RUNNING, take a savepoint, suffer an
//! injected failure, restart from the savepoint, stop with a savepoint. On a real cluster: the
//! same without the injected failure; each savepoint is printed as `savepoint: <path>` and the
//! process exits non-zero if any step failed.

use std::error::Error as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use streampark::testkit::{FaultPlan, SimDeployer};
use streampark::{
    DeployRequest, Deployer, DeployerExt, DeploymentId, JobId, JobSpec, JobState, RemoteDeployer,
    SavepointOptions, SavepointRef, StopOptions, StopOutcome,
};

const SQL: &str = "\
CREATE TABLE orders (id BIGINT, amount INT) WITH ('connector' = 'datagen', 'rows-per-second' = '10');
CREATE TABLE totals (amount INT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO totals SELECT amount, COUNT(*) FROM orders GROUP BY amount;
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

fn local_path(sp: &SavepointRef) -> String {
    // `file:/x` and `file:///x` are local paths; other schemes print as they are.
    match sp
        .path
        .strip_prefix("file://")
        .or_else(|| sp.path.strip_prefix("file:"))
    {
        Some(p) => p.to_string(),
        None => sp.path.clone(),
    }
}

fn report(step: &str, e: &streampark::Error) -> ExitCode {
    eprintln!("quickstart: {step} failed: {e}");
    let mut src = e.source();
    while let Some(s) = src {
        eprintln!("  caused by: {s}");
        src = s.source();
    }
    ExitCode::FAILURE
}

async fn wait_first_checkpoint(
    d: &dyn Deployer,
    id: &DeploymentId,
    limit: Duration,
) -> streampark::Result<()> {
    let start = tokio::time::Instant::now();
    loop {
        if d.inspect(id).await?.checkpoints_completed > 0 {
            return Ok(());
        }
        if start.elapsed() > limit {
            return Err(streampark::Error::Timeout {
                backend: d.backend(),
                operation: "waiting for the first checkpoint".into(),
                after: limit,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn real(url: String) -> ExitCode {
    let tl = Timeline {
        start: tokio::time::Instant::now(),
        wall: Instant::now(),
        virtual_time: false,
    };
    let d: Arc<dyn Deployer> = match RemoteDeployer::builder()
        .with_url(url.clone())
        .with_request_timeout(Duration::from_secs(60))
        .build()
    {
        Ok(d) => Arc::new(d),
        Err(e) => return report("configuring the Flink client", &e),
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let job = format!("quickstart-{stamp}-{}", std::process::id());
    let spec = match JobSpec::sql(&job, SQL) {
        Ok(s) => s.with_name("streampark quickstart"),
        Err(e) => return report("building the job spec", &e),
    };
    tl.line(format!(
        "real Flink at {url}: deploying SQL job `{job}` (datagen -> blackhole)"
    ));
    let dep = match d.deploy(DeployRequest::new(spec, 1)).await {
        Ok(dep) => dep,
        Err(e) => return report("deploy", &e),
    };
    tl.line(format!(
        "deployed as Flink job {} (attempt {})",
        dep.id, dep.attempt
    ));
    match d
        .wait_for(&dep.id, &[JobState::Running], Duration::from_secs(120))
        .await
    {
        Ok(s) => tl.line(format!("job {} is {}", s.job, s.state)),
        Err(e) => return report("waiting for RUNNING", &e),
    }
    if let Err(e) = wait_first_checkpoint(d.as_ref(), &dep.id, Duration::from_secs(120)).await {
        return report("waiting for a checkpoint", &e);
    }
    tl.line("first checkpoint completed");
    match d.savepoint(&dep.id, SavepointOptions::default()).await {
        Ok(sp) => {
            tl.line("savepoint taken");
            println!("savepoint: {}", local_path(&sp));
        }
        Err(e) => return report("savepoint", &e),
    }
    match d.stop(&dep.id, StopOptions::savepoint_default_dir()).await {
        Ok(StopOutcome::Stopped {
            savepoint: Some(sp),
        }) => {
            tl.line("stopped with savepoint");
            println!("savepoint: {}", local_path(&sp));
        }
        Ok(other) => {
            eprintln!("quickstart: stop with savepoint returned {other:?}");
            return ExitCode::FAILURE;
        }
        Err(e) => return report("stop with savepoint", &e),
    }
    match d.status(&dep.id).await {
        Ok(Some(s)) if s.state == JobState::Finished => {
            tl.line(format!("job {} is {}", s.job, s.state))
        }
        Ok(other) => {
            eprintln!("quickstart: expected FINISHED after stop, saw {other:?}");
            return ExitCode::FAILURE;
        }
        Err(e) => return report("status after stop", &e),
    }
    tl.line("done");
    ExitCode::SUCCESS
}

async fn simulated() -> ExitCode {
    let tl = Timeline {
        start: tokio::time::Instant::now(),
        wall: Instant::now(),
        virtual_time: true,
    };
    let job = JobId::new("orders-totals").expect("valid id");
    let sim = SimDeployer::builder()
        .with_checkpoint_interval(Duration::from_secs(10))
        .with_faults(FaultPlan::new().job_fails_at(
            &job,
            Duration::from_secs(75),
            "TaskManager 127.0.0.1:40113 lost: heartbeat timed out (injected)",
        ))
        .build();
    let d: Arc<dyn Deployer> = Arc::new(sim.clone());
    let run = async {
        let spec = JobSpec::sql(job.as_str(), SQL)?.with_name("Orders totals");
        tl.line(format!("simulator: deploying SQL job `{job}` attempt 1"));
        let dep = d.deploy(DeployRequest::new(spec.clone(), 1)).await?;
        tl.line(format!(
            "deployed as {} (state {})",
            dep.id,
            JobState::Initializing
        ));
        let s = d
            .wait_for(&dep.id, &[JobState::Running], Duration::from_secs(60))
            .await?;
        tl.line(format!("job is {}", s.state));
        tokio::time::sleep(Duration::from_secs(30)).await;
        let det = d.inspect(&dep.id).await?;
        tl.line(format!(
            "{} checkpoints completed, latest {}",
            det.checkpoints_completed,
            det.latest_checkpoint.map(|c| c.path).unwrap_or_default()
        ));
        let sp = d.savepoint(&dep.id, SavepointOptions::default()).await?;
        tl.line(format!("savepoint taken: {}", sp.path));
        tl.line("waiting; a TaskManager loss is injected at t+75s");
        let s = d
            .wait_for(&dep.id, &[JobState::Failed], Duration::from_secs(120))
            .await?;
        tl.line(format!(
            "state change: RUNNING -> {} ({})",
            s.state,
            s.reason.unwrap_or_default()
        ));
        tl.line(format!("restarting as attempt 2 from {}", sp.path));
        let dep2 = d
            .deploy(DeployRequest::new(spec, 2).with_restore_path(sp.path.clone()))
            .await?;
        let s = d
            .wait_for(&dep2.id, &[JobState::Running], Duration::from_secs(60))
            .await?;
        let det = d.inspect(&dep2.id).await?;
        tl.line(format!(
            "attempt {} is {}, restored from {}",
            s.attempt,
            s.state,
            det.restored_from.unwrap_or_default()
        ));
        tokio::time::sleep(Duration::from_secs(20)).await;
        let out = d
            .stop(
                &dep2.id,
                StopOptions::savepoint("file:///tmp/streampark-quickstart/savepoints"),
            )
            .await?;
        if let StopOutcome::Stopped {
            savepoint: Some(sp),
        } = &out
        {
            tl.line(format!("stopped with savepoint {}", sp.path));
        }
        let s = d.status(&dep2.id).await?.map(|s| s.state);
        tl.line(format!(
            "attempt 2 is {}",
            s.map(|s| s.to_string()).unwrap_or_default()
        ));
        let stats = sim.stats();
        tl.line(format!(
            "done: {} deploys, {} list calls, {} savepoints, {} stops",
            stats.deploys, stats.lists, stats.savepoints, stats.stops
        ));
        Ok::<(), streampark::Error>(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report("simulated lifecycle", &e),
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
