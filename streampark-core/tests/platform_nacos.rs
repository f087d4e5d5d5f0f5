//! End to end through the engine with a Nacos document: a governed job bound to a document
//! of a `NacosSource`, the watcher given to the platform and driven by `Platform::run` as a
//! host runs it. A change of a live key is applied without a new attempt; a change of a
//! restart key rolls the job out from a savepoint exactly once (its roll-out policy is
//! `automatic`); the same content again, or a comment edit, does nothing. Every change is
//! audited and logged with the MD5 of the document version that caused it.
//!
//! Runs against core's Nacos simulator always, and against a real server when `NACOS_URL`
//! is set (with `NACOS_USERNAME` / `NACOS_PASSWORD` when its auth is on), e.g.
//! `eval "$(scripts/nacos-local env)"; cargo test -p streampark-core --all-features --test
//! platform_nacos`.
#![cfg(all(feature = "nacos", feature = "testkit"))]

mod platform_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use streampark_core::config::nacos_sim::NacosSim;
use streampark_core::config::{
    ConfigDoc, ConfigEvent, ConfigFormat, ConfigKey, ConfigSource, ConfigStream, ConfigWatcher,
    NacosSource, NacosSourceBuilder, md5_hex,
};
use streampark_core::platform::{
    AuditOutcome, AuditQuery, AuditRecord, CONFIG_PRINCIPAL, CONFIG_ROLLOUT_LABEL, Platform,
    Principal,
};
use streampark_core::store::{EventRecord, MemoryStore, StateStore};
use streampark_core::testkit::SimDeployer;
use streampark_core::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, JobDetails, JobId,
    JobSnapshot, JobSpec, LogOptions, Logs, Owner, RestartPolicy, Result, SavepointOptions,
    SavepointRef, Selector, StopMode, StopOptions, StopOutcome,
};

/// Upper bound of every wait for something expected (not a speed assertion).
const WAIT: Duration = Duration::from_secs(30);

const SQL: &str = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen');\n\
CREATE TABLE snk (a INT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT a FROM src;\n";

/// The first version of the document: what the job is created with.
const V1: &str = "parallelism.default: 1\n\
execution.checkpointing.interval: 5s\n\
streampark.restart.type: fixed-delay\n\
streampark.restart.delay: 5s\n\
streampark.restart.max-attempts: 3\n";

/// Waits (real time) until `cond` holds, at most [`WAIT`].
async fn until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let polled = tokio::time::timeout(WAIT, async {
        while !cond().await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        polled.is_ok(),
        "timed out after {WAIT:?} waiting for {what}"
    );
}

/// The NacosSource under test, wrapped only to see which versions its watch delivered to the
/// watcher (MD5s of `Changed` events, in order): evidence that a change that must do nothing
/// was seen at all.
#[derive(Debug, Clone)]
struct Observed {
    inner: NacosSource,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Observed {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl ConfigSource for Observed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    async fn get(&self, key: &ConfigKey) -> Result<Option<ConfigDoc>> {
        self.inner.get(key).await
    }
    async fn watch(&self, key: &ConfigKey) -> Result<ConfigStream> {
        let seen = self.seen.clone();
        let events = self.inner.watch(key).await?;
        Ok(events
            .inspect(move |e| {
                if let ConfigEvent::Changed(doc) = e {
                    seen.lock().unwrap().push(doc.md5().to_string());
                }
            })
            .boxed())
    }
}

/// The simulator, recording every savepoint it hands out (by `stop` with a savepoint or by
/// `savepoint`) and every plain cancel.
#[derive(Debug, Clone)]
struct Recorder {
    inner: SimDeployer,
    deploys: Arc<Mutex<Vec<DeployRequest>>>,
    savepoints: Arc<Mutex<Vec<String>>>,
    cancels: Arc<Mutex<usize>>,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            inner: SimDeployer::builder()
                .with_startup_delay(Duration::ZERO)
                .with_checkpoint_interval(Duration::from_secs(1))
                .build(),
            deploys: Arc::default(),
            savepoints: Arc::default(),
            cancels: Arc::default(),
        }
    }
    fn deploys(&self) -> usize {
        self.deploys.lock().unwrap().len()
    }
    fn savepoints(&self) -> Vec<String> {
        self.savepoints.lock().unwrap().clone()
    }
    fn cancels(&self) -> usize {
        *self.cancels.lock().unwrap()
    }
}

#[async_trait::async_trait]
impl Deployer for Recorder {
    fn backend(&self) -> &'static str {
        "sim"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        self.deploys.lock().unwrap().push(req.clone());
        self.inner.deploy(req).await
    }
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        self.inner.list(selector).await
    }
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        self.inner.inspect(id).await
    }
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        let sp = self.inner.savepoint(id, opts).await?;
        self.savepoints.lock().unwrap().push(sp.path.clone());
        Ok(sp)
    }
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        let cancel = opts.mode == StopMode::Cancel;
        let out = self.inner.stop(id, opts).await?;
        if cancel {
            *self.cancels.lock().unwrap() += 1;
        }
        if let StopOutcome::Stopped {
            savepoint: Some(sp),
        } = &out
        {
            self.savepoints.lock().unwrap().push(sp.path.clone());
        }
        Ok(out)
    }
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        self.inner.logs(id, opts).await
    }
}

/// A document key nobody used before: the process id and the time in its data id and group,
/// so that reruns against the same server never see an old document.
fn unique_key() -> ConfigKey {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let pid = std::process::id();
    ConfigKey::new(format!("platform-nacos-{pid}-{nanos}.yaml"))
        .with_group(format!("SP_IT_{pid}_{nanos}"))
}

/// Short timeouts, so that the watch reacts and shuts down quickly.
fn quick(b: NacosSourceBuilder) -> NacosSourceBuilder {
    b.with_request_timeout(Duration::from_secs(10))
        .with_long_poll_timeout(Duration::from_secs(3))
        .with_poll_interval(Duration::from_millis(200))
        .with_max_backoff(Duration::from_millis(500))
}

fn count(events: &[EventRecord], kind: &str) -> usize {
    events.iter().filter(|e| e.kind == kind).count()
}

/// The `config.apply` records of `job`, oldest first.
async fn config_audit(pf: &Platform, root: &Principal, job: &str) -> Vec<AuditRecord> {
    pf.audit(root, AuditQuery::new().with_job(job).with_page(0, 1000))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "config.apply")
        .collect()
}

fn max_attempts(spec: &JobSpec) -> Option<u32> {
    match spec.restart {
        RestartPolicy::FixedDelay { max_attempts, .. } => Some(max_attempts),
        _ => None,
    }
}

/// The scenario, on any Nacos server that `nacos` talks to. `key` must not exist yet.
async fn scenario(nacos: NacosSource, key: ConfigKey) {
    // The document exists before the platform runs: its first version is the baseline.
    nacos.publish(&key, V1, ConfigFormat::Yaml).await.unwrap();
    let md5_v1 = md5_hex(V1);
    // A real Nacos serves a publish a moment later: wait until it does.
    until("the server to serve the first version", || async {
        matches!(nacos.get(&key).await, Ok(Some(d)) if d.md5() == md5_v1)
    })
    .await;

    let source = Observed {
        inner: nacos.clone(),
        seen: Arc::default(),
    };
    let id = JobId::new("orders").unwrap();
    let mut watcher = ConfigWatcher::new(Arc::new(source.clone()));
    watcher.bind(id.clone(), key.clone());

    let sim = Recorder::new();
    let store = Arc::new(MemoryStore::new());
    let root = Principal::user("root");
    let (pf, ann) =
        platform_support::config_platform(Arc::new(sim.clone()), store.clone(), watcher).await;
    let spec = JobSpec::sql("orders", SQL)
        .unwrap()
        .with_owner(Owner::team("ads"))
        .with_parallelism(1)
        .with_config("execution.checkpointing.interval", "5s")
        .with_restart(RestartPolicy::FixedDelay {
            delay: Duration::from_secs(5),
            max_attempts: 3,
        })
        .with_label(CONFIG_ROLLOUT_LABEL, "automatic");
    pf.create_job(&ann, spec, "v1").await.unwrap();
    pf.deploy(&ann, &id).await.unwrap();
    until("attempt 1 running", || async {
        pf.status(&ann, &id)
            .await
            .is_ok_and(|s| s.attempt == 1 && s.state.is_some_and(|st| st.is_live()))
    })
    .await;
    assert_eq!(sim.deploys(), 1);

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
    // The watcher has the baseline once the watch delivered the first version.
    until("the watcher's baseline", || async {
        source.seen() == vec![md5_v1.clone()]
    })
    .await;
    assert_eq!(pf.versions(&ann, &id).await.unwrap().len(), 1);

    // 1. A live key only (the restart policy): a new version the engine runs with, the same
    //    attempt, no savepoint, audited and logged with the new document's MD5.
    let v2 = V1.replace("max-attempts: 3", "max-attempts: 7");
    let md5_v2 = md5_hex(&v2);
    nacos.publish(&key, &v2, ConfigFormat::Yaml).await.unwrap();
    until("the live change in the engine's record", || async {
        store
            .job(&id)
            .await
            .unwrap()
            .is_some_and(|r| max_attempts(&r.spec) == Some(7))
    })
    .await;
    until("the config_applied event", || async {
        count(
            &pf.events(&ann, &id, 0, 1000).await.unwrap(),
            "config_applied",
        ) == 1
    })
    .await;
    let m = pf.job(&ann, &id).await.unwrap();
    assert_eq!(m.current.version, 2);
    assert_eq!(max_attempts(&m.current.spec), Some(7));
    assert_eq!(m.current.spec.parallelism, Some(1));
    assert!(m.needs_restart.is_none(), "{:?}", m.needs_restart);
    assert_eq!(pf.versions(&ann, &id).await.unwrap().len(), 2);
    let status = pf.status(&ann, &id).await.unwrap();
    assert_eq!(status.attempt, 1, "a live change starts no attempt");
    assert_eq!(sim.deploys(), 1, "a live change deploys nothing");
    assert!(sim.savepoints().is_empty(), "{:?}", sim.savepoints());
    assert_eq!(sim.cancels(), 0);
    let events = pf.events(&ann, &id, 0, 1000).await.unwrap();
    let applied = events.iter().find(|e| e.kind == "config_applied").unwrap();
    assert_eq!(applied.actor, CONFIG_PRINCIPAL);
    assert_eq!(applied.attempt, 1);
    assert!(
        applied.detail["cause"]
            .as_str()
            .is_some_and(|c| c.contains(&md5_v2) && c.contains("streampark.restart.max-attempts")),
        "{applied:?}"
    );
    assert_eq!(count(&events, "config_rolled_out"), 0);
    let audit = config_audit(&pf, &root, "orders").await;
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0].user, CONFIG_PRINCIPAL);
    assert_eq!(audit[0].outcome, AuditOutcome::Ok);
    assert!(
        audit[0].note.contains(&md5_v2) && audit[0].note.contains("applied live"),
        "{}",
        audit[0].note
    );
    assert!(
        audit[0].note.contains(&key.to_string()),
        "the note names the document: {}",
        audit[0].note
    );

    // 2. A restart key (`parallelism.default`): exactly one new attempt, started from the one
    //    savepoint taken when the old attempt stopped.
    let v3 = v2.replace("parallelism.default: 1", "parallelism.default: 2");
    let md5_v3 = md5_hex(&v3);
    nacos.publish(&key, &v3, ConfigFormat::Yaml).await.unwrap();
    until("the roll-out as attempt 2", || async {
        pf.status(&ann, &id).await.is_ok_and(|s| s.attempt == 2)
            && count(
                &pf.events(&ann, &id, 0, 1000).await.unwrap(),
                "config_rolled_out",
            ) == 1
    })
    .await;
    let rolled_out = |what: &'static str| {
        let (pf, ann, id, sim) = (&pf, &ann, &id, &sim);
        async move {
            let status = pf.status(ann, id).await.unwrap();
            assert_eq!(status.attempt, 2, "{what}: {status:?}");
            let events = pf.events(ann, id, 0, 1000).await.unwrap();
            assert_eq!(
                count(&events, "config_rolled_out"),
                1,
                "{what}: {events:#?}"
            );
            assert_eq!(count(&events, "config_applied"), 1, "{what}");
            let deploys = pf.deploys(ann, id).await.unwrap();
            assert_eq!(deploys.len(), 2, "{what}: {deploys:#?}");
            assert_eq!(sim.deploys(), 2, "{what}");
            let savepoints = sim.savepoints();
            assert_eq!(savepoints.len(), 1, "{what}: one savepoint: {savepoints:?}");
            assert_eq!(sim.cancels(), 0, "{what}");
            let last = deploys.last().unwrap();
            assert_eq!((last.attempt, last.version), (2, 3), "{what}");
            assert_eq!(
                last.restored_from.as_deref(),
                Some(savepoints[0].as_str()),
                "{what}: attempt 2 restored from the roll-out's savepoint"
            );
            assert_eq!(last.resolved.parallelism, Some(2), "{what}");
            let live: Vec<u64> = sim
                .list(&Selector::All)
                .await
                .unwrap()
                .into_iter()
                .filter(|s| s.job == *id && s.state.is_live())
                .map(|s| s.attempt)
                .collect();
            assert_eq!(live, vec![2], "{what}: only attempt 2 runs");
            events
        }
    };
    let events = rolled_out("right after the roll-out").await;
    let rolled = events
        .iter()
        .find(|e| e.kind == "config_rolled_out")
        .unwrap();
    assert_eq!(rolled.actor, CONFIG_PRINCIPAL);
    assert!(
        rolled.detail["cause"]
            .as_str()
            .is_some_and(|c| c.contains(&md5_v3) && c.contains("parallelism.default")),
        "{rolled:?}"
    );
    let m = pf.job(&ann, &id).await.unwrap();
    assert_eq!(m.current.version, 3);
    assert_eq!(m.current.spec.parallelism, Some(2));
    assert_eq!(
        max_attempts(&m.current.spec),
        Some(7),
        "the live change stays"
    );
    assert!(m.needs_restart.is_none(), "{:?}", m.needs_restart);
    assert_eq!(m.last_savepoint, sim.savepoints().first().cloned());
    let audit = config_audit(&pf, &root, "orders").await;
    assert_eq!(audit.len(), 2, "{audit:#?}");
    assert_eq!(audit[1].user, CONFIG_PRINCIPAL);
    assert_eq!(audit[1].outcome, AuditOutcome::Ok);
    assert!(
        audit[1].note.contains(&md5_v3) && audit[1].note.contains("rolled out as attempt 2"),
        "{}",
        audit[1].note
    );
    // Still exactly once a while later: the watch (several long polls and MD5 checks) and
    // the engine's ticks do not roll it out again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    rolled_out("2 s after the roll-out").await;
    assert_eq!(config_audit(&pf, &root, "orders").await.len(), 2);
    assert_eq!(
        source.seen(),
        vec![md5_v1.clone(), md5_v2.clone(), md5_v3.clone()]
    );

    // 3. The same content again, then a comment edit (a new MD5, the same keys): the watch
    //    delivers the edit (and nothing for the identical publish), the engine does nothing.
    nacos.publish(&key, &v3, ConfigFormat::Yaml).await.unwrap();
    let v4 = format!("# reviewed\n{v3}");
    let md5_v4 = md5_hex(&v4);
    nacos.publish(&key, &v4, ConfigFormat::Yaml).await.unwrap();
    until("the watch to deliver the comment edit", || async {
        source.seen().last() == Some(&md5_v4)
    })
    .await;
    // Give the platform time to act on it if it (wrongly) would.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        source.seen(),
        vec![md5_v1, md5_v2, md5_v3, md5_v4.clone()],
        "the identical publish is no new version"
    );
    rolled_out("after the no-op changes").await;
    assert_eq!(pf.versions(&ann, &id).await.unwrap().len(), 3);
    let events = pf.events(&ann, &id, 0, 1000).await.unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.kind.starts_with("config_") && format!("{e:?}").contains(&md5_v4)),
        "{events:#?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind.starts_with("config_"))
            .count(),
        2,
        "{events:#?}"
    );
    assert_eq!(config_audit(&pf, &root, "orders").await.len(), 2);

    tx.send(()).unwrap();
    tokio::time::timeout(WAIT, runner)
        .await
        .expect("run stops on shutdown")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nacos_document_drives_a_job_through_the_engine_on_the_simulator() {
    let server = NacosSim::builder().start().await.unwrap();
    let nacos = quick(NacosSource::builder().with_server(server.url()))
        .build()
        .unwrap();
    scenario(nacos, unique_key()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nacos_document_drives_a_job_through_the_engine_on_a_real_server() {
    let Ok(url) = std::env::var("NACOS_URL") else {
        eprintln!("skipped: NACOS_URL not set");
        return;
    };
    let mut b = quick(NacosSource::builder().with_server(url));
    if let (Ok(user), Ok(password)) = (
        std::env::var("NACOS_USERNAME"),
        std::env::var("NACOS_PASSWORD"),
    ) {
        b = b.with_credentials(user, password);
    }
    let nacos = b.build().unwrap();
    let key = unique_key();
    scenario(nacos.clone(), key.clone()).await;
    // Leave the server as it was.
    nacos.delete(&key).await.unwrap();
}
