//! The supervisor on a real Flink cluster: the TaskManager is killed under a running,
//! checkpointing SQL job (Flink's own restart strategy is off); once a TaskManager is back the
//! job runs again after exactly one resubmission, restored from its latest checkpoint; a
//! supervisor restarted on the same state submits nothing new.
//!
//! Runs when `STREAMPARK_IT_FLINK_URL`, `STREAMPARK_IT_FLINK_STATE` (the scripts/flink-local
//! instance directory, for the TaskManager's pid file and config) and `FLINK_HOME` are set, as
//! `scripts/ci-supervisor.sh` does; otherwise prints "skipped" and passes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use streampark_core::store::{AttemptStatus, SqliteStore, StateStore};
use streampark_core::supervisor::Supervisor;
use streampark_core::{
    Deployer, JobId, JobSpec, JobState, RemoteDeployer, RestartPolicy, Restore, Selector,
    StopOptions,
};

const SQL: &str = "CREATE TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');\n\
CREATE TABLE snk (v BIGINT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT v FROM src;\n";

#[path = "flink_support/mod.rs"]
mod flink_support;
use flink_support::{kill_taskmanagers, start_taskmanager, wait_until};

fn supervisor(url: &str, store: SqliteStore, id: &str) -> Supervisor {
    let deployer = RemoteDeployer::builder()
        .with_url(url)
        .with_request_timeout(Duration::from_secs(60))
        .build()
        .expect("valid URL");
    Supervisor::builder(Arc::new(store))
        .with_id(id)
        .with_cluster("flink", Arc::new(deployer))
        .with_tick(Duration::from_secs(1))
        .with_lost_grace(Duration::from_secs(120))
        .build()
        .expect("supervisor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taskmanager_killed_job_restarts_once_from_its_latest_checkpoint() {
    let (Ok(url), Ok(state), Ok(home)) = (
        std::env::var("STREAMPARK_IT_FLINK_URL"),
        std::env::var("STREAMPARK_IT_FLINK_STATE"),
        std::env::var("FLINK_HOME"),
    ) else {
        eprintln!(
            "skipped: STREAMPARK_IT_FLINK_URL, STREAMPARK_IT_FLINK_STATE or FLINK_HOME not set"
        );
        return;
    };
    let state = PathBuf::from(state);
    let dir = std::env::temp_dir().join(format!("sp-sup-flink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("state.db");
    let job = JobId::new(format!("sup-tm-{}", std::process::id())).unwrap();
    let deployer = RemoteDeployer::builder().with_url(&url).build().unwrap();

    let sup = supervisor(&url, SqliteStore::open(&db).await.unwrap(), "host-a");
    sup.manage(
        JobSpec::sql(job.as_str(), SQL)
            .unwrap()
            .with_restore(Restore::Latest)
            .with_restart(RestartPolicy::FixedDelay {
                delay: Duration::from_secs(3),
                max_attempts: 3,
            }),
    )
    .await
    .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let sup = sup.clone();
        tokio::spawn(async move {
            sup.run(async {
                let _ = stop_rx.await;
            })
            .await
        })
    };

    wait_until("attempt 1 running", Duration::from_secs(120), || async {
        sup.job(&job)
            .await
            .is_some_and(|v| v.attempt == 1 && v.state == Some(JobState::Running))
    })
    .await;
    let dep1 = sup.job(&job).await.unwrap().deployment.unwrap();
    wait_until(
        "a completed checkpoint",
        Duration::from_secs(60),
        || async {
            deployer
                .inspect(&dep1)
                .await
                .is_ok_and(|d| d.checkpoints_completed >= 2)
        },
    )
    .await;

    kill_taskmanagers(&state);
    let store = SqliteStore::open(&db).await.unwrap();
    wait_until("attempt 1 failed", Duration::from_secs(180), || async {
        store
            .attempts(&job)
            .await
            .unwrap()
            .first()
            .is_some_and(|a| a.status == AttemptStatus::Ended)
    })
    .await;
    start_taskmanager(Path::new(&home), &state);

    wait_until("attempt 2 running", Duration::from_secs(240), || async {
        sup.job(&job)
            .await
            .is_some_and(|v| v.attempt == 2 && v.state == Some(JobState::Running))
    })
    .await;
    let attempts = store.attempts(&job).await.unwrap();
    assert_eq!(attempts.len(), 2, "exactly one resubmission: {attempts:?}");
    assert_eq!(attempts[0].final_state, Some(JobState::Failed));
    let restored = attempts[1]
        .restore_from
        .clone()
        .expect("restored from a checkpoint");
    assert!(
        restored.contains(dep1.as_str()) && restored.contains("chk-"),
        "{restored}"
    );
    let dep2 = attempts[1].deployment.clone().unwrap();
    wait_until(
        "Flink reports the restore",
        Duration::from_secs(60),
        || async {
            deployer
                .inspect(&dep2)
                .await
                .is_ok_and(|d| d.restored_from.is_some())
        },
    )
    .await;
    let d2 = deployer.inspect(&dep2).await.unwrap();
    let flink_says = d2.restored_from.unwrap();
    assert_eq!(
        flink_says
            .trim_start_matches("file:")
            .trim_start_matches('/'),
        restored.trim_start_matches("file:").trim_start_matches('/')
    );

    // The supervisor stops (not the job); a new one on the same state adopts, submits nothing.
    let _ = stop_tx.send(());
    runner.await.unwrap().unwrap();
    drop(sup);
    let sup2 = supervisor(&url, SqliteStore::open(&db).await.unwrap(), "host-a");
    for _ in 0..15 {
        sup2.tick().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let v = sup2.job(&job).await.unwrap();
    assert_eq!((v.attempt, v.state), (2, Some(JobState::Running)));
    assert_eq!(
        store.attempts(&job).await.unwrap().len(),
        2,
        "nothing new submitted"
    );
    let all = deployer.list(&Selector::Job(job.clone())).await.unwrap();
    assert_eq!(all.iter().filter(|s| s.state.is_live()).count(), 1);

    sup2.stop_job(&job, StopOptions::cancel()).await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
