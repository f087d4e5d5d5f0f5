//! NacosSource against the Nacos simulator (`config::nacos_sim`): auth and token renewal,
//! namespaces, failover, long-poll timeouts, outage -> snapshot -> resume, no missed or
//! duplicate events, Nacos 3.x. Run with `cargo test -p streampark-core --features
//! nacos,testkit --test config_nacos` (or `--all-features`).
#![cfg(all(feature = "nacos", feature = "testkit"))]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use streampark_core::JobId;
use streampark_core::config::nacos_sim::{NacosSim, SimApi};
use streampark_core::config::{
    ApplyMode, ConfigEvent, ConfigFormat, ConfigKey, ConfigSource, ConfigStream, ConfigUpdate,
    ConfigWatcher, NacosApi, NacosSource, NacosSourceBuilder, md5_hex,
};

/// Upper bound for an expected event (not a speed assertion).
const WAIT: Duration = Duration::from_secs(20);

fn fast(b: NacosSourceBuilder) -> NacosSourceBuilder {
    b.with_request_timeout(Duration::from_secs(2))
        .with_long_poll_timeout(Duration::from_millis(500))
        .with_poll_interval(Duration::from_millis(100))
        .with_max_backoff(Duration::from_millis(200))
}

async fn next(s: &mut ConfigStream) -> ConfigEvent {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("an event within the wait")
        .expect("stream open")
}

/// The next event that is not an outage report.
async fn next_version(s: &mut ConfigStream) -> ConfigEvent {
    loop {
        match next(s).await {
            ConfigEvent::Unavailable { .. } => continue,
            other => return other,
        }
    }
}

fn content(e: &ConfigEvent) -> &str {
    match e {
        ConfigEvent::Changed(d) => d.content(),
        other => panic!("expected a version, got {other:?}"),
    }
}

#[tokio::test]
async fn get_publish_delete_with_namespaces_and_docs_payload() {
    let sim = NacosSim::builder().start().await.unwrap();
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .build()
        .unwrap();
    let public = ConfigKey::new("flink.yaml").with_group("ads");
    let dev = public.clone().with_namespace("dev-ns");

    assert!(nacos.get(&public).await.unwrap().is_none());
    nacos
        .publish(&public, "a: public\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    nacos
        .publish(&dev, "a: dev\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    let p = nacos.get(&public).await.unwrap().unwrap();
    let d = nacos.get(&dev).await.unwrap().unwrap();
    assert_eq!(p.content(), "a: public\n");
    assert_eq!(d.content(), "a: dev\n");
    assert_eq!(d.parse().unwrap().get_str("a"), Some("dev"));
    assert!(!p.is_from_snapshot());

    nacos.delete(&dev).await.unwrap();
    assert!(nacos.get(&dev).await.unwrap().is_none());
    assert!(nacos.get(&public).await.unwrap().is_some());

    // The docs' example content, and the MD5 recorded in the v3 sample answer.
    let sample = include_str!("fixtures/nacos/get_v1.txt");
    let v3: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/nacos/get_v3.json")).unwrap();
    let key = ConfigKey::new("nacos.example").with_group("com.alibaba.nacos");
    nacos
        .publish(&key, sample, ConfigFormat::Text)
        .await
        .unwrap();
    let got = nacos.get(&key).await.unwrap().unwrap();
    assert_eq!(got.content(), "contentTest");
    assert_eq!(got.md5(), v3["data"]["md5"].as_str().unwrap());

    let reqs = sim.requests();
    assert!(reqs.iter().any(|r| r == "POST /v1/cs/configs"), "{reqs:?}");
    assert!(
        reqs.iter().any(|r| r == "DELETE /v1/cs/configs"),
        "{reqs:?}"
    );
}

#[tokio::test]
async fn login_token_reuse_renewal_after_403_and_bad_password() {
    let sim = NacosSim::builder()
        .with_user("nacos", "s3cret-pw")
        .start()
        .await
        .unwrap();
    let key = ConfigKey::new("a.properties");

    // Without credentials: permission denied.
    let anon = fast(NacosSource::builder().with_server(sim.url()))
        .build()
        .unwrap();
    let e = anon.get(&key).await.unwrap_err();
    assert!(
        matches!(e, streampark_core::Error::PermissionDenied { .. }),
        "{e}"
    );

    // Wrong password: a clear error naming the user, never the password.
    let bad = fast(NacosSource::builder().with_server(sim.url()))
        .with_credentials("nacos", "wrong-pw")
        .build()
        .unwrap();
    let e = bad.get(&key).await.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains("nacos") && shown.contains("login"),
        "{shown}"
    );
    assert!(!shown.contains("wrong-pw"), "{shown}");

    let good = fast(NacosSource::builder().with_server(sim.url()))
        .with_credentials("nacos", "s3cret-pw")
        .build()
        .unwrap();
    assert!(!format!("{good:?}").contains("s3cret-pw"));
    good.publish(&key, "x=1", ConfigFormat::Properties)
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(good.get(&key).await.unwrap().unwrap().content(), "x=1");
    }
    assert_eq!(sim.login_count(), 1, "the token is reused");

    // The server forgets the token: one 403, a new login, the call succeeds.
    sim.revoke_tokens();
    let rejected = sim.rejected_count();
    assert_eq!(good.get(&key).await.unwrap().unwrap().content(), "x=1");
    assert_eq!(sim.login_count(), 2);
    assert_eq!(sim.rejected_count(), rejected + 1);
}

#[tokio::test]
async fn token_is_renewed_before_ttl_runs_out() {
    let sim = NacosSim::builder()
        .with_user("nacos", "pw")
        .with_token_ttl(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .with_credentials("nacos", "pw")
        .build()
        .unwrap();
    let key = ConfigKey::new("t.yaml");
    assert!(nacos.get(&key).await.unwrap().is_none());
    // The API detection asks once without a token (a login wall says the API is there).
    let rejected = sim.rejected_count();
    // Past 90 % of the 1 s lifetime, the client logs in again before calling.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(nacos.get(&key).await.unwrap().is_none());
    assert_eq!(sim.login_count(), 2);
    assert_eq!(
        sim.rejected_count(),
        rejected,
        "no call was made with a stale token"
    );
}

#[tokio::test]
async fn failover_between_servers() {
    let mut first = NacosSim::builder()
        .with_user("u", "p")
        .start()
        .await
        .unwrap();
    let second = first.start_peer().await.unwrap();
    let nacos = fast(
        NacosSource::builder()
            .with_server(first.url())
            .with_server(second.url()),
    )
    .with_credentials("u", "p")
    .build()
    .unwrap();
    let key = ConfigKey::new("f.yaml");
    nacos
        .publish(&key, "v: 1\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    first.stop().await;
    // The first server is gone: the call goes to the second (same cluster data).
    assert_eq!(nacos.get(&key).await.unwrap().unwrap().content(), "v: 1\n");
    nacos
        .publish(&key, "v: 2\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    assert_eq!(nacos.get(&key).await.unwrap().unwrap().content(), "v: 2\n");
    assert!(!nacos.get(&key).await.unwrap().unwrap().is_from_snapshot());

    // Both down and no cache dir: an Unavailable error.
    drop(second);
    let e = nacos.get(&key).await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert!(e.to_string().contains("2 nacos server"), "{e}");
}

#[tokio::test]
async fn long_poll_timeouts_produce_no_events() {
    let sim = NacosSim::builder().start().await.unwrap();
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .with_long_poll_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let key = ConfigKey::new("lp.yaml").with_namespace("ns1");
    sim.publish("ns1", "DEFAULT_GROUP", "lp.yaml", "a: 1\n");
    let mut s = nacos.watch(&key).await.unwrap();
    assert_eq!(content(&next(&mut s).await), "a: 1\n");

    // Several long polls time out with an empty answer: nothing is emitted meanwhile.
    let polls = || {
        sim.requests()
            .iter()
            .filter(|r| r.as_str() == "POST /v1/cs/configs/listener")
            .count()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while polls() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "listener not re-armed"
        );
        let quiet = tokio::time::timeout(Duration::from_millis(100), s.next()).await;
        assert!(quiet.is_err(), "no event without a change: {quiet:?}");
    }

    sim.publish("ns1", "DEFAULT_GROUP", "lp.yaml", "a: 2\n");
    assert_eq!(content(&next(&mut s).await), "a: 2\n");
    // Same key in another namespace does not wake this watch.
    sim.publish("", "DEFAULT_GROUP", "lp.yaml", "other\n");
    sim.delete("ns1", "DEFAULT_GROUP", "lp.yaml");
    match next(&mut s).await {
        ConfigEvent::Deleted(k) => assert_eq!(k, key),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn outage_serves_the_snapshot_and_the_watch_resumes() {
    let cache = tempfile::tempdir().unwrap();
    let mut sim = NacosSim::builder()
        .with_user("u", "p")
        .start()
        .await
        .unwrap();
    let url = sim.url();
    let build = || {
        fast(NacosSource::builder().with_server(url.clone()))
            .with_credentials("u", "p")
            .with_cache_dir(cache.path())
            .build()
            .unwrap()
    };
    let nacos = build();
    let key = ConfigKey::new("app.yaml")
        .with_group("ads")
        .with_namespace("prod");
    sim.publish("prod", "ads", "app.yaml", "v: 1\n");
    let mut s = nacos.watch(&key).await.unwrap();
    assert_eq!(content(&next(&mut s).await), "v: 1\n");

    sim.stop().await;
    match next(&mut s).await {
        ConfigEvent::Unavailable { key: k, error } => {
            assert_eq!(k, key);
            assert!(error.is_retryable(), "{error}");
        }
        other => panic!("expected an outage report, got {other:?}"),
    }
    // Every server is down: get serves the last good content from disk.
    let snap = nacos.get(&key).await.unwrap().unwrap();
    assert!(snap.is_from_snapshot());
    assert_eq!(snap.content(), "v: 1\n");
    // So does a fresh client (a host restart) sharing the cache dir, and its watch starts
    // from the snapshot.
    let fresh = build();
    let mut s2 = fresh.watch(&key).await.unwrap();
    assert!(matches!(
        next(&mut s2).await,
        ConfigEvent::Unavailable { .. }
    ));
    let e = next(&mut s2).await;
    assert_eq!(content(&e), "v: 1\n");

    // Changed while down; then the server comes back on the same port.
    sim.publish("prod", "ads", "app.yaml", "v: 2\n");
    sim.restart().await.unwrap();
    assert_eq!(content(&next_version(&mut s).await), "v: 2\n");
    assert_eq!(content(&next_version(&mut s2).await), "v: 2\n");
    let live = nacos.get(&key).await.unwrap().unwrap();
    assert!(!live.is_from_snapshot());
    sim.publish("prod", "ads", "app.yaml", "v: 3\n");
    assert_eq!(content(&next_version(&mut s).await), "v: 3\n");
}

#[tokio::test]
async fn events_are_in_order_never_repeated_never_lost() {
    let sim = NacosSim::builder().start().await.unwrap();
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .build()
        .unwrap();
    let key = ConfigKey::new("seq.properties");
    let mut s = nacos.watch(&key).await.unwrap();
    // Absent at first: nothing. Each published version arrives exactly once, in order.
    for i in 1..=8 {
        let text = format!("n={i}\n");
        nacos
            .publish(&key, &text, ConfigFormat::Properties)
            .await
            .unwrap();
        assert_eq!(content(&next(&mut s).await), text);
        // Republishing the same content (same MD5) is not an event.
        nacos
            .publish(&key, &text, ConfigFormat::Properties)
            .await
            .unwrap();
    }
    // A burst: versions may coalesce (Nacos sends the latest), but the order holds, none
    // repeats, and the last one always arrives.
    for i in 9..=30 {
        sim.publish("", "DEFAULT_GROUP", "seq.properties", &format!("n={i}\n"));
    }
    let mut seen = Vec::new();
    loop {
        let e = next(&mut s).await;
        let n: u32 = content(&e).trim().trim_start_matches("n=").parse().unwrap();
        seen.push(n);
        if n == 30 {
            break;
        }
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen.iter().all(|n| (9..=30).contains(n)), "{seen:?}");
    let quiet = tokio::time::timeout(Duration::from_millis(800), s.next()).await;
    assert!(quiet.is_err(), "nothing after the last version: {quiet:?}");
}

#[tokio::test]
async fn nacos_3x_is_detected_and_polled_by_md5() {
    let sim = NacosSim::builder()
        .with_api(SimApi::V3Only)
        .with_user("nacos", "pw")
        .start()
        .await
        .unwrap();
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .with_credentials("nacos", "pw")
        .build()
        .unwrap();
    let key = ConfigKey::new("v3.json").with_namespace("team-a");
    assert!(nacos.get(&key).await.unwrap().is_none());
    nacos
        .publish(&key, r#"{"a": {"b": 1}}"#, ConfigFormat::Json)
        .await
        .unwrap();
    let doc = nacos.get(&key).await.unwrap().unwrap();
    assert_eq!(doc.format(), ConfigFormat::Json);
    assert_eq!(doc.parse().unwrap().get_str("a.b"), Some("1"));

    let mut s = nacos.watch(&key).await.unwrap();
    assert_eq!(content(&next(&mut s).await), r#"{"a": {"b": 1}}"#);
    nacos
        .publish(&key, r#"{"a": {"b": 2}}"#, ConfigFormat::Json)
        .await
        .unwrap();
    let e = next(&mut s).await;
    assert_eq!(content(&e), r#"{"a": {"b": 2}}"#);
    nacos.delete(&key).await.unwrap();
    assert!(matches!(next(&mut s).await, ConfigEvent::Deleted(_)));

    let reqs = sim.requests();
    assert!(
        reqs.iter().any(|r| r == "GET /v3/client/cs/config"),
        "{reqs:?}"
    );
    assert!(
        reqs.iter().any(|r| r == "POST /v3/admin/cs/config"),
        "{reqs:?}"
    );
    assert!(!reqs.iter().any(|r| r.contains("/v1/cs/")), "{reqs:?}");
    assert_eq!(sim.login_count(), 1);

    // Forcing v1 against a 3.x server fails clearly instead of pretending "not found".
    let v1 = fast(NacosSource::builder().with_server(sim.url()))
        .with_api(NacosApi::V1)
        .build()
        .unwrap();
    let e = v1.get(&key).await.unwrap_err().to_string();
    assert!(
        e.contains("410") && e.contains("v1 API is turned off"),
        "{e}"
    );
}

#[tokio::test]
async fn watcher_classifies_nacos_changes_for_jobs() {
    let sim = NacosSim::builder().start().await.unwrap();
    let nacos: Arc<dyn ConfigSource> = Arc::new(
        fast(NacosSource::builder().with_server(sim.url()))
            .build()
            .unwrap(),
    );
    sim.publish(
        "",
        "ads",
        "orders.yaml",
        "parallelism.default: 2\nstreampark.alert.route: ops\n",
    );
    let key = ConfigKey::new("orders.yaml").with_group("ads");
    let mut w = ConfigWatcher::new(nacos);
    w.bind(JobId::new("orders").unwrap(), key.clone());
    w.bind(JobId::new("orders-backfill").unwrap(), key.clone());
    let mut updates = w.start().await.unwrap();
    while w.current(&key).is_none() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sim.publish(
        "",
        "ads",
        "orders.yaml",
        "parallelism.default: 2\nstreampark.alert.route: oncall\n",
    );
    match tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
    {
        ConfigUpdate::Changed {
            jobs, apply, md5, ..
        } => {
            assert_eq!(jobs.len(), 2);
            assert_eq!(apply, ApplyMode::Live);
            assert_eq!(
                md5.as_deref(),
                Some(md5_hex("parallelism.default: 2\nstreampark.alert.route: oncall\n").as_str())
            );
        }
        other => panic!("{other:?}"),
    }
    sim.publish("", "ads", "orders.yaml", "parallelism.default: [\n");
    assert!(matches!(
        tokio::time::timeout(WAIT, updates.next())
            .await
            .unwrap()
            .unwrap(),
        ConfigUpdate::Rejected { .. }
    ));
    sim.publish(
        "",
        "ads",
        "orders.yaml",
        "parallelism.default: 8\nstreampark.alert.route: oncall\n",
    );
    match tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap()
    {
        ConfigUpdate::Changed {
            apply,
            changed_keys,
            ..
        } => {
            assert_eq!(apply, ApplyMode::Restart);
            assert_eq!(changed_keys, vec!["parallelism.default"]);
        }
        other => panic!("{other:?}"),
    }
}

/// Passwords, tokens and secret values never reach the logs, even at TRACE level and
/// through failures (bad login, outage, 403 renewal, malformed version).
#[test]
fn secrets_stay_out_of_logs_and_errors() {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut errors = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let mut sim = NacosSim::builder()
                .with_user("nacos", "pw-SECRET-1")
                .start()
                .await
                .unwrap();
            let key = ConfigKey::new("db.properties");
            sim.publish(
                "",
                "DEFAULT_GROUP",
                "db.properties",
                "db.password=VALUE-SECRET-2\n",
            );
            let bad = fast(NacosSource::builder().with_server(sim.url()))
                .with_credentials("nacos", "wrong-SECRET-3")
                .build()
                .unwrap();
            errors.push(format!("{:?}", bad.get(&key).await.unwrap_err()));
            let good = fast(NacosSource::builder().with_server(sim.url()))
                .with_credentials("nacos", "pw-SECRET-1")
                .build()
                .unwrap();
            let doc = good.get(&key).await.unwrap().unwrap();
            let mut flat = doc.parse().unwrap();
            flat.mark_secrets(&Default::default());
            errors.push(format!("{flat:?} {flat} {doc:?} {good:?}"));
            errors.push(flat.get_u64("db.password").unwrap_err().to_string());
            sim.revoke_tokens();
            good.get(&key).await.unwrap();
            sim.stop().await;
            let e = good.get(&key).await.unwrap_err();
            // The whole source chain, not only the top error.
            let mut chain = format!("{e:?}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                chain.push_str(&format!(" / {s} {s:?}"));
                src = s.source();
            }
            errors.push(chain);
        })
    });
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("nacos"), "the test captured logs: {logs}");
    let all = format!("{logs}\n{}", errors.join("\n"));
    for secret in [
        "SECRET-1",
        "VALUE-SECRET-2",
        "SECRET-3",
        "eyJhbGciOiJIUzI1NiJ9.sim-",
    ] {
        assert!(!all.contains(secret), "`{secret}` leaked:\n{all}");
    }
}

/// defaults < files < Nacos < job overrides, variables with a team scope, secrets, typed
/// extraction into the JobSpec; a malformed Nacos version keeps the last good one.
#[tokio::test]
async fn layered_files_nacos_and_job_overrides_into_a_spec() {
    use std::collections::BTreeMap;
    use streampark_core::config::{FileSource, Layered, Variables};
    use streampark_core::{JobSpec, RestartPolicy};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ads.properties"),
        "parallelism.default=2\nstate.checkpoints.dir=${ckpt_root}/orders\n\
         execution.checkpointing.interval=1 min\n",
    )
    .unwrap();
    let sim = NacosSim::builder().start().await.unwrap();
    sim.publish(
        "prod",
        "ads",
        "orders.yaml",
        "execution:\n  checkpointing:\n    interval: 30 s\nparallelism.default: 4\n\
         s3.access-key: ${s3_key}\nstreampark:\n  restart:\n    type: fixed-delay\n    delay: 15 s\n",
    );
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .build()
        .unwrap();
    let layered = Layered::builder()
        .with_values(
            "defaults",
            [
                ("parallelism.default", "1"),
                ("taskmanager.numberOfTaskSlots", "2"),
            ],
        )
        .with_required_source(
            "files",
            Arc::new(FileSource::new(dir.path()).unwrap()),
            ConfigKey::new("ads.properties"),
        )
        .with_source(
            "nacos",
            Arc::new(nacos),
            ConfigKey::new("orders.yaml")
                .with_group("ads")
                .with_namespace("prod"),
        )
        .with_variables(
            Variables::new()
                .with_global("ckpt_root", "s3://global")
                .with_team("ads", "ckpt_root", "s3://ads")
                .with_secret_team("ads", "s3_key", "AKIA-SECRET-9"),
        )
        .with_secret_policy(
            streampark_core::config::SecretPolicy::default().with_pattern("*access-key*"),
        )
        .build()
        .unwrap();
    let mut spec = JobSpec::sql("orders", "INSERT INTO k SELECT * FROM s")
        .unwrap()
        .with_config("parallelism.default", "8");
    let overrides: BTreeMap<String, String> = spec.config.clone();
    let resolved = layered.resolve(Some("ads"), &overrides).await.unwrap();
    assert_eq!(resolved.get_str("taskmanager.numberOfTaskSlots"), Some("2")); // defaults
    assert_eq!(
        resolved.get_str("state.checkpoints.dir"),
        Some("s3://ads/orders")
    ); // files + team var
    assert_eq!(
        resolved.get_str("execution.checkpointing.interval"),
        Some("30 s")
    ); // nacos over files
    assert_eq!(resolved.get_str("parallelism.default"), Some("8")); // job override over all
    assert!(resolved.get("s3.access-key").unwrap().is_secret());
    assert!(!format!("{resolved:?} {resolved}").contains("AKIA-SECRET-9"));

    resolved.apply_to_spec(&mut spec).unwrap();
    assert_eq!(spec.parallelism, Some(8));
    assert_eq!(spec.config["s3.access-key"], "AKIA-SECRET-9");
    assert_eq!(
        spec.restart,
        RestartPolicy::FixedDelay {
            delay: Duration::from_secs(15),
            max_attempts: 3
        }
    );

    // A malformed Nacos version: the last good one stays in force.
    sim.publish("prod", "ads", "orders.yaml", "execution: [\n");
    let again = layered.resolve(Some("ads"), &overrides).await.unwrap();
    assert_eq!(
        again.get_str("execution.checkpointing.interval"),
        Some("30 s")
    );
    // Another team does not see ads's secret variable: an error naming it and where.
    let e = layered
        .resolve(Some("bi"), &overrides)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("`s3_key`") && e.contains("s3.access-key"), "{e}");
    assert!(e.contains("orders.yaml") && e.contains("team `bi`"), "{e}");
}

/// A small scripted server: `route(method, path, query, form) -> (status, headers, body)`,
/// everything the script does not know answered with an empty 404 (as actix-based servers
/// such as rnacos do for an unmapped path).
mod scripted {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Request, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    pub(super) type Answer = (StatusCode, Vec<(&'static str, String)>, String);
    pub(super) type Script =
        Arc<dyn Fn(&str, &str, &HashMap<String, String>) -> Option<Answer> + Send + Sync>;

    pub(super) struct Server {
        pub(super) url: String,
        pub(super) seen: Arc<Mutex<Vec<String>>>,
        _task: tokio::task::JoinHandle<()>,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self._task.abort();
        }
    }

    async fn handle(
        State((script, seen)): State<(Script, Arc<Mutex<Vec<String>>>)>,
        req: Request,
    ) -> Response {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let mut params: HashMap<String, String> = req
            .uri()
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let body: Bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        params.extend(url::form_urlencoded::parse(&body).into_owned());
        seen.lock().unwrap().push(format!("{method} {path}"));
        match script(&method, &path, &params) {
            Some((status, headers, body)) => {
                let mut r = (status, body).into_response();
                for (k, v) in headers {
                    r.headers_mut().insert(k, v.parse().unwrap());
                }
                r
            }
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }

    pub(super) async fn start(script: Script) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .fallback(handle)
            .with_state((script, seen.clone()));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server {
            url,
            seen,
            _task: task,
        }
    }
}

/// The stand-in of the issue: the v1 config API and its long-polling listener, written from
/// the Open API docs, with no console API and no v3 API. The watcher must work on it (the
/// old detection took the console's 404 for "Nacos 3.x" and then polled a v3 path forever).
#[tokio::test]
async fn detection_v1_open_api_without_console_gives_a_working_watcher() {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use axum::http::StatusCode;

    let store: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let s = store.clone();
    let script: scripted::Script = Arc::new(move |method, path, p| {
        let id = format!(
            "{}|{}",
            p.get("dataId").cloned().unwrap_or_default(),
            p.get("group").cloned().unwrap_or_default()
        );
        match (method, path) {
            ("GET", "/nacos/v1/cs/configs") => Some(match s.lock().unwrap().get(&id) {
                Some(c) => (StatusCode::OK, vec![], c.clone()),
                None => (
                    StatusCode::NOT_FOUND,
                    vec![],
                    "config data not exist".into(),
                ),
            }),
            ("POST", "/nacos/v1/cs/configs") => {
                s.lock()
                    .unwrap()
                    .insert(id, p.get("content").cloned().unwrap_or_default());
                Some((StatusCode::OK, vec![], "true".into()))
            }
            ("POST", "/nacos/v1/cs/configs/listener") => {
                // `dataId^2group^2md5^1`: answer at once when the MD5 differs (no holding:
                // the client's next call comes right back, which is allowed).
                let l = p.get("Listening-Configs").cloned().unwrap_or_default();
                let mut parts = l.trim_end_matches('\u{1}').split('\u{2}');
                let (d, g, md5) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                );
                let now = s
                    .lock()
                    .unwrap()
                    .get(&format!("{d}|{g}"))
                    .map(|c| md5_hex(c))
                    .unwrap_or_default();
                if now != md5 {
                    let body: String = url::form_urlencoded::byte_serialize(
                        format!("{d}\u{2}{g}\u{1}").as_bytes(),
                    )
                    .collect();
                    Some((StatusCode::OK, vec![], body))
                } else {
                    std::thread::sleep(Duration::from_millis(50));
                    Some((StatusCode::OK, vec![], String::new()))
                }
            }
            _ => None,
        }
    });
    let server = scripted::start(script).await;
    let nacos = fast(NacosSource::builder().with_server(&server.url))
        .build()
        .unwrap();
    let key = ConfigKey::new("orders.yaml").with_group("G");
    nacos
        .publish(&key, "v: 1\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    let mut s = nacos.watch(&key).await.unwrap();
    assert_eq!(content(&next(&mut s).await), "v: 1\n");
    nacos
        .publish(&key, "v: 2\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    assert_eq!(content(&next(&mut s).await), "v: 2\n");
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|r| r == "POST /nacos/v1/cs/configs/listener"),
        "{seen:?}"
    );
    assert!(!seen.iter().any(|r| r.contains("/v3/")), "{seen:?}");
}

/// Nacos 3.x as it ships: console endpoints answer 410, the v1 open API is on. The watcher
/// uses the v1 API and its listener (push), never the v3 polling path.
#[tokio::test]
async fn detection_nacos_3x_default_uses_the_v1_open_api_and_its_listener() {
    let sim = NacosSim::builder()
        .with_api(SimApi::V3)
        .start()
        .await
        .unwrap();
    let nacos = fast(NacosSource::builder().with_server(sim.url()))
        .build()
        .unwrap();
    let key = ConfigKey::new("a.json");
    nacos
        .publish(&key, "{\"a\": 1}", ConfigFormat::Json)
        .await
        .unwrap();
    let mut s = nacos.watch(&key).await.unwrap();
    assert_eq!(content(&next(&mut s).await), "{\"a\": 1}");
    sim.publish("", "DEFAULT_GROUP", "a.json", "{\"a\": 2}");
    assert_eq!(content(&next(&mut s).await), "{\"a\": 2}");
    let reqs = sim.requests();
    assert!(
        reqs.iter().any(|r| r == "POST /v1/cs/configs/listener"),
        "{reqs:?}"
    );
    assert!(!reqs.iter().any(|r| r.contains("/v3/")), "{reqs:?}");
}

/// A server with neither config API (here: every path an empty 404) is a clear error for
/// `get`, and for a watch an `Unavailable` event carrying it within seconds: never silence,
/// never a document reported absent.
#[tokio::test]
async fn detection_without_any_config_api_is_an_error_the_host_sees() {
    let script: scripted::Script = Arc::new(|_, _, _| None);
    let server = scripted::start(script).await;
    let nacos = fast(NacosSource::builder().with_server(&server.url))
        .build()
        .unwrap();
    let key = ConfigKey::new("x.yaml");
    let e = nacos.get(&key).await.unwrap_err();
    let shown = e.to_string();
    assert!(
        matches!(e, streampark_core::Error::Unsupported { .. }),
        "{e:?}"
    );
    assert!(shown.contains("no Nacos config API"), "{shown}");
    assert!(
        shown.contains("v1/cs/configs") && shown.contains("v3/client/cs/config"),
        "{shown}"
    );
    let mut s = nacos.watch(&key).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(5), s.next()).await {
        Ok(Some(ConfigEvent::Unavailable { error, .. })) => {
            assert!(error.to_string().contains("no Nacos config API"), "{error}");
        }
        other => panic!("expected an Unavailable event within 5 s, got {other:?}"),
    }
}

/// A v3 client endpoint that is gone (410) while v1 is off too: each answer is an error
/// naming the 410, for the host to see.
#[tokio::test]
async fn detection_both_apis_gone_names_the_410() {
    use axum::http::StatusCode;
    let script: scripted::Script = Arc::new(|_, path, _| {
        path.starts_with("/nacos/")
            .then(|| (StatusCode::GONE, vec![], "{\"status\":410}".to_string()))
    });
    let server = scripted::start(script).await;
    let nacos = fast(NacosSource::builder().with_server(&server.url))
        .build()
        .unwrap();
    let e = nacos
        .get(&ConfigKey::new("x.yaml"))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("410"), "{e}");
}

/// The last version's format comes from the answer (`Config-Type`) when there is one, else
/// from the data id, and the snapshot keeps it.
#[tokio::test]
async fn format_from_the_answer_else_the_data_id_and_kept_in_the_snapshot() {
    use axum::http::StatusCode;
    let script: scripted::Script = Arc::new(|method, path, p| {
        if (method, path) != ("GET", "/nacos/v1/cs/configs") {
            return None;
        }
        match p.get("dataId").map(String::as_str) {
            Some("orders") => Some((
                StatusCode::OK,
                vec![("Config-Type", "yaml".to_string())],
                "a:\n  b: 1\n".into(),
            )),
            Some("orders.json") => Some((StatusCode::OK, vec![], "{\"a\": {\"b\": 2}}".into())),
            _ => Some((
                StatusCode::NOT_FOUND,
                vec![],
                "config data not exist".into(),
            )),
        }
    });
    let server = scripted::start(script).await;
    let cache = tempfile::tempdir().unwrap();
    let nacos = fast(NacosSource::builder().with_server(&server.url))
        .with_cache_dir(cache.path())
        .build()
        .unwrap();
    let typed = nacos.get(&ConfigKey::new("orders")).await.unwrap().unwrap();
    assert_eq!(typed.format(), ConfigFormat::Yaml);
    assert_eq!(typed.parse().unwrap().get_str("a.b"), Some("1"));
    let by_name = nacos
        .get(&ConfigKey::new("orders.json"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_name.format(), ConfigFormat::Json);
    drop(server);
    let snap = nacos.get(&ConfigKey::new("orders")).await.unwrap().unwrap();
    assert!(snap.is_from_snapshot());
    assert_eq!(snap.format(), ConfigFormat::Yaml);
    assert_eq!(snap.parse().unwrap().get_str("a.b"), Some("1"));
}

/// Nacos 3.x answers a wrong password with 500 (its login throws): a refusal the host sees at
/// once, not an outage retried in silence.
#[tokio::test]
async fn a_wrong_password_on_nacos_3x_is_permission_denied() {
    let sim = NacosSim::builder()
        .with_api(SimApi::V3)
        .with_user("nacos", "right")
        .start()
        .await
        .unwrap();
    let bad = fast(NacosSource::builder().with_server(sim.url()))
        .with_credentials("nacos", "wrong-pw-77")
        .build()
        .unwrap();
    let e = bad.get(&ConfigKey::new("a.yaml")).await.unwrap_err();
    assert!(
        matches!(e, streampark_core::Error::PermissionDenied { .. }),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("wrong-pw-77"));
    let good = fast(NacosSource::builder().with_server(sim.url()))
        .with_credentials("nacos", "right")
        .build()
        .unwrap();
    assert!(good.get(&ConfigKey::new("a.yaml")).await.unwrap().is_none());
}

/// A server whose v1 API is turned off while the client uses it (Nacos 3.x with
/// `nacos.core.api.compatibility.client.enabled=false` after an upgrade): the next call goes
/// to the v3 API instead of failing or reporting the document absent.
#[tokio::test]
async fn the_v1_api_going_away_switches_to_v3() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::http::StatusCode;

    let off = Arc::new(AtomicBool::new(false));
    let flag = off.clone();
    let script: scripted::Script = Arc::new(move |method, path, _| {
        let v1_off = flag.load(Ordering::SeqCst);
        match (method, path) {
            ("GET", "/nacos/v1/cs/configs") if v1_off => {
                Some((StatusCode::GONE, vec![], "{\"status\":410,\"path\":\"/nacos/v1/cs/configs\"}".into()))
            }
            ("GET", "/nacos/v1/cs/configs") => Some((StatusCode::OK, vec![], "from: v1\n".into())),
            ("GET", "/nacos/v3/client/cs/config") if v1_off => Some((
                StatusCode::OK,
                vec![],
                r#"{"code":0,"message":"success","data":{"content":"from: v3\n","contentType":"yaml"}}"#.into(),
            )),
            _ => None,
        }
    });
    let server = scripted::start(script).await;
    let nacos = fast(NacosSource::builder().with_server(&server.url))
        .build()
        .unwrap();
    let key = ConfigKey::new("a.yaml");
    assert_eq!(
        nacos.get(&key).await.unwrap().unwrap().content(),
        "from: v1\n"
    );
    off.store(true, Ordering::SeqCst);
    assert_eq!(
        nacos.get(&key).await.unwrap().unwrap().content(),
        "from: v3\n"
    );
    assert_eq!(
        nacos.get(&key).await.unwrap().unwrap().content(),
        "from: v3\n"
    );
    let seen = server.seen.lock().unwrap().clone();
    let v1_after = seen
        .iter()
        .skip_while(|r| !r.contains("/v3/"))
        .filter(|r| r.contains("/v1/"))
        .count();
    assert_eq!(
        v1_after, 0,
        "once switched, v1 is not asked again: {seen:?}"
    );
}
