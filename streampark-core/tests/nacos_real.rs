//! `NacosSource` against a real server started by `scripts/nacos-local` (rnacos from
//! crates.io, or Nacos 3.x), given by `NACOS_URL` (and `NACOS_USERNAME`/`NACOS_PASSWORD` when
//! its auth is on, `NACOS_INSTANCE` for the restart test). Without `NACOS_URL` every test
//! says it was skipped and passes; `scripts/ci-nacos.sh` runs them against each server.
//!
//! `cargo test -p streampark-core --all-features --test nacos_real`
#![cfg(feature = "nacos")]

use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use streampark_core::Error;
use streampark_core::config::{
    ConfigEvent, ConfigFormat, ConfigKey, ConfigSource, ConfigStream, NacosSource,
    NacosSourceBuilder,
};

/// Upper bound for an expected event (not a speed assertion).
const WAIT: Duration = Duration::from_secs(30);
/// How long "nothing happens" is watched for.
const QUIET: Duration = Duration::from_secs(3);

/// Tests that restart the server run alone; the others share it.
static SERVER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

struct Real {
    url: String,
    user: Option<(String, String)>,
    label: String,
}

fn real() -> Option<Real> {
    let Ok(url) = std::env::var("NACOS_URL") else {
        eprintln!(
            "skipped: NACOS_URL not set (scripts/nacos-local start; eval \"$(scripts/nacos-local env)\")"
        );
        return None;
    };
    let user = match (
        std::env::var("NACOS_USERNAME"),
        std::env::var("NACOS_PASSWORD"),
    ) {
        (Ok(u), Ok(p)) => Some((u, p)),
        _ => None,
    };
    let label = std::env::var("NACOS_SERVER").unwrap_or_else(|_| "nacos".into());
    Some(Real { url, user, label })
}

fn builder(r: &Real) -> NacosSourceBuilder {
    let b = NacosSource::builder()
        .with_server(&r.url)
        .with_request_timeout(Duration::from_secs(5))
        .with_long_poll_timeout(Duration::from_secs(5))
        .with_max_backoff(Duration::from_millis(500));
    match &r.user {
        Some((u, p)) => b.with_credentials(u, p),
        None => b,
    }
}

/// A name no earlier run used on this server.
fn unique(what: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("sp-{what}-{}-{t}", std::process::id())
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

fn content(e: &ConfigEvent) -> String {
    match e {
        ConfigEvent::Changed(d) => d.content().to_string(),
        other => panic!("expected a version, got {other:?}"),
    }
}

/// No event but outage reports for `QUIET`.
async fn quiet(s: &mut ConfigStream) -> Option<ConfigEvent> {
    let until = Instant::now() + QUIET;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.next()).await {
            Err(_) => return None,
            Ok(Some(ConfigEvent::Unavailable { .. })) => continue,
            Ok(other) => return other,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_five_publishes_other_group_and_namespace_delete_and_recreate() {
    let Some(r) = real() else { return };
    let _shared = SERVER.read().await;
    let nacos = builder(&r).build().unwrap();
    let group = unique("g");
    let key = ConfigKey::new("orders.yaml").with_group(&group);
    nacos
        .publish(&key, "version: 0\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    let mut s = nacos.watch(&key).await.unwrap();
    // The initial content (a server may serve the publish a moment later: its first answer
    // can still be "absent", which the watch does not report).
    assert_eq!(content(&next_version(&mut s).await), "version: 0\n");

    for i in 1..=5 {
        let body = format!("version: {i}\n");
        nacos
            .publish(&key, &body, ConfigFormat::Yaml)
            .await
            .unwrap();
        let e = next_version(&mut s).await;
        assert_eq!(content(&e), body, "{}: publish {i}", r.label);
        if let ConfigEvent::Changed(d) = &e {
            assert_eq!(d.format(), ConfigFormat::Yaml);
            assert!(!d.is_from_snapshot());
        }
    }
    // Each seen once: nothing more arrives.
    assert!(
        quiet(&mut s).await.is_none(),
        "{}: a version twice",
        r.label
    );

    // The same data id in another group, and in another namespace: not this document.
    let other_group = ConfigKey::new("orders.yaml").with_group(unique("other"));
    let other_ns = key.clone().with_namespace(unique("ns"));
    nacos
        .publish(&other_group, "version: elsewhere\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    nacos
        .publish(&other_ns, "version: elsewhere\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    let stray = quiet(&mut s).await;
    assert!(
        stray.is_none(),
        "{}: another document reported: {stray:?}",
        r.label
    );

    // A delete is reported as one `Deleted`, and a re-created document is seen again.
    nacos.delete(&key).await.unwrap();
    assert!(
        matches!(next_version(&mut s).await, ConfigEvent::Deleted(_)),
        "{}",
        r.label
    );
    nacos
        .publish(&key, "version: again\n", ConfigFormat::Yaml)
        .await
        .unwrap();
    assert_eq!(content(&next_version(&mut s).await), "version: again\n");
    assert!(quiet(&mut s).await.is_none());

    nacos.delete(&key).await.unwrap();
    nacos.delete(&other_group).await.unwrap();
    nacos.delete(&other_ns).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_clear_error_within_seconds_and_never_shown() {
    let Some(r) = real() else { return };
    let Some((user, _)) = &r.user else {
        eprintln!("skipped: the server's auth is off (SP_NACOS_AUTH=1)");
        return;
    };
    let _shared = SERVER.read().await;
    let wrong = format!("wrong-{}-SECRET", std::process::id());
    let bad = NacosSource::builder()
        .with_server(&r.url)
        .with_request_timeout(Duration::from_secs(5))
        .with_credentials(user, &wrong)
        .build()
        .unwrap();
    let key = ConfigKey::new("db.properties").with_group(unique("auth"));
    let started = Instant::now();
    let e = bad.get(&key).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the refusal took {:?}",
        started.elapsed()
    );
    assert!(matches!(e, Error::PermissionDenied { .. }), "{e:?}");
    let mut shown = format!("{e} {e:?} {bad:?}");
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        shown.push_str(&format!(" {s} {s:?}"));
        src = s.source();
    }
    assert!(
        shown.contains(user.as_str()),
        "the error names the user: {shown}"
    );
    assert!(!shown.contains(&wrong), "the password leaked: {shown}");
    // A watch with it reports the refusal at once rather than waiting in silence.
    let mut s = bad.watch(&key).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(10), s.next()).await {
        Ok(Some(ConfigEvent::Unavailable { error, .. })) => {
            assert!(
                matches!(*error, Error::PermissionDenied { .. }),
                "{error:?}"
            );
            assert!(!format!("{error} {error:?}").contains(&wrong));
        }
        other => panic!("expected the refusal as an event, got {other:?}"),
    }
    // And the right password works, its token never in the errors or Debug output.
    let good = builder(&r).build().unwrap();
    assert!(good.get(&key).await.unwrap().is_none());
    let (_, password) = r.user.as_ref().unwrap();
    assert!(!format!("{good:?}").contains(password.as_str()));
}

fn script(action: &str) {
    let Ok(instance) = std::env::var("NACOS_INSTANCE") else {
        panic!("NACOS_INSTANCE is not set: start the server with scripts/nacos-local");
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/nacos-local");
    let st = Command::new("bash")
        .arg(script)
        .arg(action)
        .env("SP_NACOS_STATE", &instance)
        .status()
        .expect("running scripts/nacos-local");
    assert!(st.success(), "scripts/nacos-local {action} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_survives_a_kill_and_restart_serves_its_snapshot_and_sees_the_next_version() {
    let Some(r) = real() else { return };
    if std::env::var("NACOS_INSTANCE").is_err() {
        eprintln!(
            "skipped: NACOS_INSTANCE not set (the server was not started by scripts/nacos-local)"
        );
        return;
    }
    let _alone = SERVER.write().await;
    let cache = tempfile::tempdir().unwrap();
    let nacos = builder(&r).with_cache_dir(cache.path()).build().unwrap();
    let key = ConfigKey::new("flink").with_group(unique("restart"));
    nacos
        .publish(&key, "parallelism.default=2\n", ConfigFormat::Properties)
        .await
        .unwrap();
    let mut s = nacos.watch(&key).await.unwrap();
    assert_eq!(
        content(&next_version(&mut s).await),
        "parallelism.default=2\n"
    );

    // A crash, not a shutdown: kill -9.
    script("kill");
    // The outage is reported (once), and meanwhile the last version is served from the
    // snapshot, by this source and by a new one on the same cache (a host restarted during
    // the outage).
    match next(&mut s).await {
        ConfigEvent::Unavailable { error, .. } => assert!(error.is_retryable(), "{error:?}"),
        other => panic!("expected the outage, got {other:?}"),
    }
    let snap = nacos.get(&key).await.unwrap().unwrap();
    assert!(snap.is_from_snapshot());
    assert_eq!(snap.content(), "parallelism.default=2\n");
    let fresh = builder(&r).with_cache_dir(cache.path()).build().unwrap();
    let mut s2 = fresh.watch(&key).await.unwrap();
    let mut first = next(&mut s2).await;
    if matches!(first, ConfigEvent::Unavailable { .. }) {
        first = next(&mut s2).await;
    }
    match &first {
        ConfigEvent::Changed(d) => {
            assert!(d.is_from_snapshot());
            assert_eq!(d.content(), "parallelism.default=2\n");
        }
        other => panic!("expected the snapshot, got {other:?}"),
    }

    script("start");
    nacos
        .publish(&key, "parallelism.default=3\n", ConfigFormat::Properties)
        .await
        .unwrap();
    assert_eq!(
        content(&next_version(&mut s).await),
        "parallelism.default=3\n"
    );
    assert_eq!(
        content(&next_version(&mut s2).await),
        "parallelism.default=3\n"
    );
    assert!(quiet(&mut s).await.is_none());
    let live = nacos.get(&key).await.unwrap().unwrap();
    assert!(!live.is_from_snapshot());
    nacos.delete(&key).await.unwrap();
}
