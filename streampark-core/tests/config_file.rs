//! FileSource live updates: an edit, an atomic-rename save and a deletion each produce the
//! right event; the polling fallback sees changes without notifications; a malformed version
//! is rejected while the last good one stays in force.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use streampark_core::JobId;
use streampark_core::config::{
    ApplyMode, ConfigEvent, ConfigKey, ConfigSource, ConfigStream, ConfigUpdate, ConfigWatcher,
    FileSource, Layered, md5_hex,
};

/// Generous upper bound for an event to arrive (not a speed assertion).
const WAIT: Duration = Duration::from_secs(20);

async fn next(s: &mut ConfigStream) -> ConfigEvent {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("an event within the wait")
        .expect("stream open")
}

fn write_atomic(path: &Path, text: &str) {
    // What editors and config management tools do: write a temp file, then rename over.
    let tmp = path.with_extension("yaml.tmp~");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn expect_changed(e: ConfigEvent, text: &str) {
    match e {
        ConfigEvent::Changed(doc) => {
            assert_eq!(doc.content(), text);
            assert_eq!(doc.md5(), md5_hex(text));
        }
        other => panic!("expected a change to {text:?}, got {other:?}"),
    }
}

async fn edit_rename_delete(src: FileSource, dir: &Path) {
    let key = ConfigKey::new("flink.yaml");
    let path = dir.join("flink.yaml");
    let mut s = src.watch(&key).await.unwrap();
    expect_changed(next(&mut s).await, "a: 1\n");

    std::fs::write(&path, "a: 2\n").unwrap();
    expect_changed(next(&mut s).await, "a: 2\n");

    write_atomic(&path, "a: 3\n");
    expect_changed(next(&mut s).await, "a: 3\n");

    std::fs::remove_file(&path).unwrap();
    match next(&mut s).await {
        ConfigEvent::Deleted(k) => assert_eq!(k, key),
        other => panic!("expected deletion, got {other:?}"),
    }

    std::fs::write(&path, "a: 4\n").unwrap();
    expect_changed(next(&mut s).await, "a: 4\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_sees_edit_atomic_rename_and_deletion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flink.yaml"), "a: 1\n").unwrap();
    // A long poll interval: the events must come from notifications.
    let src = FileSource::builder()
        .with_path(dir.path())
        .with_poll_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    edit_rename_delete(src, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_fallback_sees_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flink.yaml"), "a: 1\n").unwrap();
    let src = FileSource::builder()
        .with_path(dir.path())
        .with_notify(false)
        .with_poll_interval(Duration::from_millis(50))
        .build()
        .unwrap();
    edit_rename_delete(src, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_content_rewritten_is_not_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flink.yaml");
    std::fs::write(&path, "a: 1\n").unwrap();
    let src = FileSource::builder()
        .with_path(dir.path())
        .with_poll_interval(Duration::from_millis(50))
        .build()
        .unwrap();
    let mut s = src.watch(&ConfigKey::new("flink.yaml")).await.unwrap();
    expect_changed(next(&mut s).await, "a: 1\n");
    std::fs::write(&path, "a: 1\n").unwrap();
    write_atomic(&path, "a: 1\n");
    std::fs::write(&path, "a: 5\n").unwrap();
    // The rewrites of the same content produced nothing: the next event is the real change.
    expect_changed(next(&mut s).await, "a: 5\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_rejects_malformed_versions_and_keeps_the_last_good() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.yaml");
    std::fs::write(
        &path,
        "parallelism.default: 2\nstreampark.alert.route: ops\n",
    )
    .unwrap();
    let src = Arc::new(
        FileSource::builder()
            .with_path(dir.path())
            .with_poll_interval(Duration::from_millis(100))
            .build()
            .unwrap(),
    );
    let key = ConfigKey::new("orders.yaml");
    let mut w = ConfigWatcher::new(src.clone());
    w.bind(JobId::new("orders").unwrap(), key.clone());
    let mut updates = w.start().await.unwrap();
    // Wait for the baseline to be taken.
    for _ in 0..200 {
        if w.current(&key).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(w.current(&key).is_some());

    write_atomic(
        &path,
        "parallelism.default: 2\nstreampark.alert.route: [oncall\n",
    );
    let u = tokio::time::timeout(WAIT, updates.next())
        .await
        .unwrap()
        .unwrap();
    match u {
        ConfigUpdate::Rejected { error, jobs, .. } => {
            let e = error.to_string();
            assert!(e.contains("orders.yaml") && e.contains("line 3"), "{e}");
            assert_eq!(jobs[0].as_str(), "orders");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.current(&key).unwrap().get_str("streampark.alert.route"),
        Some("ops")
    );

    write_atomic(
        &path,
        "parallelism.default: 2\nstreampark.alert.route: oncall\n",
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
            assert_eq!(apply, ApplyMode::Live);
            assert_eq!(changed_keys, vec!["streampark.alert.route"]);
        }
        other => panic!("{other:?}"),
    }
    write_atomic(
        &path,
        "parallelism.default: 4\nstreampark.alert.route: oncall\n",
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

#[tokio::test]
async fn layered_keeps_the_last_good_file_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.yaml");
    std::fs::write(&path, "execution.checkpointing.interval: 30 s\n").unwrap();
    let files: Arc<dyn ConfigSource> = Arc::new(FileSource::new(dir.path()).unwrap());
    let layered = Layered::builder()
        .with_values(
            "defaults",
            [("execution.checkpointing.interval", "10 min"), ("a", "1")],
        )
        .with_required_source("files", files, ConfigKey::new("team.yaml"))
        .build()
        .unwrap();
    let r = layered.resolve(None, &BTreeMap::new()).await.unwrap();
    assert_eq!(r.get_str("execution.checkpointing.interval"), Some("30 s"));
    std::fs::write(&path, "execution.checkpointing.interval: [\n").unwrap();
    let r = layered.resolve(None, &BTreeMap::new()).await.unwrap();
    assert_eq!(r.get_str("execution.checkpointing.interval"), Some("30 s"));
    assert_eq!(r.get_str("a"), Some("1"));
    std::fs::remove_file(&path).unwrap();
    let e = layered.resolve(None, &BTreeMap::new()).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
}
