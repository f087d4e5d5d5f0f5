//! Configuration changes acted on by the engine: a `ConfigWatcher` over a directory of files,
//! given to the platform, whose `run` applies each change by the job's policy: live keys at
//! once without a restart, other keys rolled out with a savepoint (policy `automatic`) or
//! marked "needs restart" (manual), malformed documents rejected with the last good version in
//! force, secret values never copied into a version, and every action audited with its cause.

mod platform_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use streampark_core::config::{ConfigKey, ConfigWatcher, FileSource};
use streampark_core::platform::{
    AuditOutcome, AuditQuery, CONFIG_PRINCIPAL, CONFIG_ROLLOUT_LABEL, Platform, Principal,
};
use streampark_core::store::{MemoryStore, StateStore};
use streampark_core::testkit::SimDeployer;
use streampark_core::{Deployer, JobId, JobSpec, Owner, RestartPolicy, Selector};

const SQL: &str = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen');\n\
CREATE TABLE snk (a INT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT a FROM src;\n";

const V1: &str = "execution.checkpointing.interval: 5s\n\
streampark.restart.type: fixed-delay\n\
streampark.restart.delay: 5s\n\
streampark.restart.max-attempts: 3\n";

fn write(dir: &Path, text: &str) {
    // Write and rename, so that the watcher never reads half a file.
    let tmp = dir.join(".shared.yaml.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join("shared.yaml")).unwrap();
}

/// Waits (real time, the file watcher polls) until `cond` holds.
async fn until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn spec(id: &str, rollout: &str) -> JobSpec {
    JobSpec::sql(id, SQL)
        .unwrap()
        .with_owner(Owner::team("ads"))
        .with_config("execution.checkpointing.interval", "5s")
        .with_restart(RestartPolicy::FixedDelay {
            delay: Duration::from_secs(5),
            max_attempts: 3,
        })
        .with_label(CONFIG_ROLLOUT_LABEL, rollout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_applies_configuration_changes_by_job_policy() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), V1);
    let source = FileSource::builder()
        .with_path(dir.path())
        .with_poll_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let mut watcher = ConfigWatcher::new(Arc::new(source));
    let (auto, manual) = (JobId::new("orders").unwrap(), JobId::new("clicks").unwrap());
    watcher.bind(auto.clone(), ConfigKey::new("shared.yaml"));
    watcher.bind(manual.clone(), ConfigKey::new("shared.yaml"));

    let sim = SimDeployer::builder()
        .with_startup_delay(Duration::ZERO)
        .with_checkpoint_interval(Duration::from_secs(1))
        .build();
    let store = Arc::new(MemoryStore::new());
    let root = Principal::user("root");
    let (pf, ann) =
        platform_support::config_platform(Arc::new(sim.new_handle()), store.clone(), watcher).await;
    pf.create_job(&ann, spec("orders", "automatic"), "v1")
        .await
        .unwrap();
    pf.create_job(&ann, spec("clicks", "manual"), "v1")
        .await
        .unwrap();
    pf.deploy(&ann, &auto).await.unwrap();
    pf.deploy(&ann, &manual).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let pf = pf.clone();
        tokio::spawn(async move {
            pf.run(async {
                let _ = rx.await;
            })
            .await
        })
    };
    // Let the watcher take its baseline.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // 1. A live key: both jobs get a version with the new policy, the engine has it, nothing
    //    restarts.
    write(
        dir.path(),
        &V1.replace("max-attempts: 3", "max-attempts: 7"),
    );
    for job in [&auto, &manual] {
        until("the live change", || async {
            store.job(job).await.unwrap().is_some_and(|r| {
                matches!(
                    r.spec.restart,
                    RestartPolicy::FixedDelay {
                        max_attempts: 7,
                        ..
                    }
                )
            })
        })
        .await;
        assert_eq!(pf.versions(&ann, job).await.unwrap().len(), 2);
    }
    assert_eq!(sim.stats().deploys, 2, "a live change restarts nothing");

    // 2. A Flink key: the automatic job is rolled out from a savepoint, the manual one is
    //    marked and keeps running its old attempt.
    let v3 = V1
        .replace("max-attempts: 3", "max-attempts: 7")
        .replace("interval: 5s", "interval: 10s");
    write(dir.path(), &v3);
    until("the roll-out", || async {
        pf.status(&ann, &auto).await.is_ok_and(|s| s.attempt == 2)
    })
    .await;
    until("the mark", || async {
        pf.job(&ann, &manual)
            .await
            .unwrap()
            .needs_restart
            .is_some_and(|n| n.version == 3)
    })
    .await;
    let rolled = pf.deploys(&ann, &auto).await.unwrap();
    let last = rolled.last().unwrap();
    assert_eq!((last.attempt, last.version), (2, 3));
    assert!(last.restored_from.is_some(), "rolled out from a savepoint");
    assert_eq!(
        last.resolved
            .config
            .get("execution.checkpointing.interval")
            .map(String::as_str),
        Some("10s")
    );
    let live: Vec<(String, u64)> = sim
        .list(&Selector::All)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.state.is_live())
        .map(|s| (s.job.to_string(), s.attempt))
        .collect();
    assert!(live.contains(&("orders".into(), 2)), "{live:?}");
    assert!(live.contains(&("clicks".into(), 1)), "{live:?}");
    assert_eq!(live.len(), 2, "{live:?}");
    let m = pf.job(&ann, &manual).await.unwrap();
    assert!(
        m.needs_restart
            .unwrap()
            .cause
            .contains("execution.checkpointing.interval")
    );

    // 3. Malformed: rejected, the last good version stays, audited as failed.
    write(dir.path(), "execution.checkpointing.interval: [unclosed\n");
    until("the rejection", || async {
        pf.events(&ann, &manual, 0, 200)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == "config_rejected")
    })
    .await;
    assert_eq!(pf.versions(&ann, &manual).await.unwrap().len(), 3);

    // 4. A secret value is never copied into a version.
    write(
        dir.path(),
        &format!("{v3}sink.password: hunter2-secret\npipeline.name: shared\n"),
    );
    until("the secret change", || async {
        pf.versions(&ann, &manual).await.unwrap().len() == 4
    })
    .await;
    let v4 = pf.versions(&ann, &manual).await.unwrap().pop().unwrap();
    assert_eq!(
        v4.spec.config.get("pipeline.name").map(String::as_str),
        Some("shared")
    );
    assert!(!v4.spec.config.contains_key("sink.password"));

    // 5. A restart of the manual job clears its mark.
    pf.restart(&ann, &manual).await.unwrap();
    assert!(pf.job(&ann, &manual).await.unwrap().needs_restart.is_none());

    tx.send(()).unwrap();
    runner.await.unwrap().unwrap();

    // Every action is audited as the configuration principal, with its cause.
    let audit = pf
        .audit(&root, AuditQuery::new().with_page(0, 1000))
        .await
        .unwrap();
    let config: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "config.apply")
        .collect();
    assert!(config.iter().all(|r| r.user == CONFIG_PRINCIPAL));
    assert!(
        config.iter().all(|r| r.note.contains("config `")),
        "{config:#?}"
    );
    let of = |job: &str, ok: bool| {
        config
            .iter()
            .filter(|r| r.job.as_deref() == Some(job) && (r.outcome == AuditOutcome::Ok) == ok)
            .count()
    };
    // Three good changes and one rejection per job.
    assert_eq!((of("orders", true), of("orders", false)), (3, 1));
    assert_eq!((of("clicks", true), of("clicks", false)), (3, 1));
    assert!(
        config
            .iter()
            .any(|r| r.job.as_deref() == Some("orders")
                && r.note.contains("rolled out as attempt 2"))
    );
    assert!(
        config
            .iter()
            .any(|r| r.job.as_deref() == Some("clicks") && r.note.contains("needs a restart"))
    );
    assert!(!format!("{audit:?}").contains("hunter2"));
}

fn update(
    jobs: &[&JobId],
    keys: &[&str],
    entries: &[(&str, &str)],
    apply: streampark_core::config::ApplyMode,
) -> streampark_core::config::ConfigUpdate {
    use streampark_core::config::{ConfigValue, FlatConfig};
    let mut config = FlatConfig::new();
    for (k, v) in entries {
        config.insert(*k, ConfigValue::new(*v, "jobs.yaml"));
    }
    streampark_core::config::ConfigUpdate::Changed {
        key: ConfigKey::new("jobs.yaml"),
        jobs: jobs.iter().map(|j| (*j).clone()).collect(),
        md5: Some("0123".into()),
        changed_keys: keys.iter().map(|k| k.to_string()).collect(),
        apply,
        config,
    }
}

#[tokio::test]
async fn bad_values_unknown_jobs_stopped_jobs_and_removed_keys() {
    use streampark_core::config::ApplyMode;
    use streampark_core::platform::ConfigAction;
    let sim = SimDeployer::builder()
        .with_startup_delay(Duration::ZERO)
        .build();
    let pf = Platform::builder()
        .with_deployer(Arc::new(sim.new_handle()))
        .with_admin("root")
        .build()
        .await
        .unwrap();
    let root = Principal::user("root");
    pf.put_team(&root, streampark_core::platform::Team::new("ads"))
        .await
        .unwrap();
    let id = JobId::new("orders").unwrap();
    let ghost = JobId::new("ghost").unwrap();
    pf.create_job(
        &root,
        spec("orders", "manual").with_config("pipeline.name", "x"),
        "v1",
    )
    .await
    .unwrap();

    // A badly typed value changes nothing and names the key.
    let out = pf
        .apply_config(&update(
            &[&id, &ghost],
            &["execution.checkpointing.interval"],
            &[("execution.checkpointing.interval", "soon")],
            ApplyMode::Restart,
        ))
        .await;
    assert_eq!(out.len(), 2);
    let ConfigAction::Rejected { reason } = &out[0].action else {
        panic!("{out:?}")
    };
    assert!(
        reason.contains("execution.checkpointing.interval"),
        "{reason}"
    );
    assert!(
        matches!(&out[1].action, ConfigAction::Rejected { reason } if reason.contains("ghost"))
    );
    assert_eq!(pf.versions(&root, &id).await.unwrap().len(), 1);

    // A stopped job keeps the version for its next deploy; a removed key is removed, an alert
    // key becomes a label.
    let out = pf
        .apply_config(&update(
            &[&id],
            &["pipeline.name", "streampark.alert.route"],
            &[("streampark.alert.route", "oncall")],
            ApplyMode::Restart,
        ))
        .await;
    assert_eq!(out[0].action, ConfigAction::Saved { version: 2 });
    let v2 = pf.versions(&root, &id).await.unwrap().pop().unwrap();
    assert!(!v2.spec.config.contains_key("pipeline.name"));
    assert_eq!(
        v2.spec
            .labels
            .get("streampark.alert.route")
            .map(String::as_str),
        Some("oncall")
    );
    // The same document again: unchanged, no version.
    let out = pf
        .apply_config(&update(
            &[&id],
            &["pipeline.name", "streampark.alert.route"],
            &[("streampark.alert.route", "oncall")],
            ApplyMode::Restart,
        ))
        .await;
    assert_eq!(out[0].action, ConfigAction::Unchanged);
    let d = pf.deploy(&root, &id).await.unwrap();
    assert_eq!(d.version, 2);
    assert_eq!(
        d.resolved
            .labels
            .get("streampark.alert.route")
            .map(String::as_str),
        Some("oncall")
    );
}
