//! One cluster-changing operation per job at a time: two platforms sharing a store (two
//! replicas of a host) cannot both start a job, stop it while it is being deployed, or start it
//! twice from two requests arriving together. A claim whose holder died lapses and is taken over.

mod platform_support;

use std::sync::Arc;
use std::time::Duration;

use platform_support::*;
use streampark_core::platform::{Platform, StopHow};
use streampark_core::store::{DocKind, MemoryStore, SqliteStore, Store};
use streampark_core::{Error, JobId, Result};

async fn replica(store: &Arc<dyn Store>, deployer: &Recording, now: Option<i64>) -> Platform {
    let mut b = Platform::builder()
        .with_deployer(Arc::new(deployer.clone()))
        .with_store(store.clone())
        .with_claim_ttl(Duration::from_secs(60));
    if let Some(t) = now {
        b = b.with_clock(move || t);
    }
    b.build().await.unwrap()
}

/// The call's error; a call that reaches the gated cluster instead (no claim held it back)
/// would wait there forever, so it fails the test after a few seconds.
async fn refused<T: std::fmt::Debug>(call: impl std::future::Future<Output = Result<T>>) -> Error {
    tokio::time::timeout(Duration::from_secs(5), Box::pin(call))
        .await
        .expect("refused at once, not waiting at the cluster")
        .unwrap_err()
}

/// Writes the claim of job `orders` as another process would have left it.
async fn put_claim(store: &dyn Store, op: &str, by: &str, at_ms: i64, until_ms: i64) {
    let json = format!(
        r#"{{"op":"{op}","by":"{by}","at_ms":{at_ms},"until_ms":{until_ms},"token":"{by}-1"}}"#
    );
    store
        .put_doc(DocKind::Claim, "orders", "", &json)
        .await
        .unwrap();
}

fn busy(e: &Error, op: &str, by: &str) -> bool {
    let text = e.to_string();
    matches!(e, Error::Unavailable { .. })
        && e.is_retryable()
        && text.contains("in progress")
        && text.contains(op)
        && text.contains(by)
}

async fn claims(store: Arc<dyn Store>) {
    let seeded = fixture(store.clone()).await;
    let dev = p("a-developer");
    let op = p("a-operator");
    let id = JobId::new("orders").unwrap();
    seeded
        .platform
        .create_job(&dev, spec("orders", "a"), "first")
        .await
        .unwrap();
    let cluster = Recording::gated();
    let gate = cluster.gate.clone().unwrap();
    let one = replica(&store, &cluster, None).await;
    let two = replica(&store, &cluster, None).await;

    // Replica one deploys; while the cluster call is under way, replica two can neither
    // deploy, restart nor stop the job.
    let first = tokio::spawn({
        let (one, dev, id) = (one.clone(), dev.clone(), id.clone());
        async move { one.deploy(&dev, &id).await }
    });
    gate.entered.notified().await;
    let audits = audit_count(&*store).await;
    let e = refused(two.deploy(&dev, &id)).await;
    assert!(busy(&e, "job.deploy", "a-developer"), "{e:?}");
    let e = refused(two.restart(&dev, &id)).await;
    assert!(busy(&e, "job.deploy", "a-developer"), "{e:?}");
    let e = refused(two.stop(&op, &id, StopHow::Cancel)).await;
    assert!(busy(&e, "job.deploy", "a-developer"), "{e:?}");
    // The same platform is no exception (two requests arriving together).
    let e = refused(one.deploy(&dev, &id)).await;
    assert!(busy(&e, "job.deploy", "a-developer"), "{e:?}");
    assert_eq!(
        audit_count(&*store).await,
        audits + 4,
        "each refused call is audited once"
    );
    // Reads are not held up.
    assert_eq!(two.versions(&dev, &id).await.unwrap().len(), 1);

    gate.open_once();
    let rec = first.await.unwrap().unwrap();
    assert_eq!(cluster.deploys(), 1, "the job was started once");
    assert_eq!(
        store.doc(DocKind::Claim, "orders", "").await.unwrap(),
        None,
        "the claim was given back"
    );

    // Free again: the usual rules apply (running → refused as running), stop works.
    let e = two.deploy(&dev, &id).await.unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("attempt {} is wanted running", rec.attempt)),
        "{e}"
    );
    two.stop(&op, &id, StopHow::Cancel).await.unwrap();
    assert_eq!(cluster.deploys(), 1);

    // A claim left by a holder that died lapses and is taken over. The late replica's clock
    // runs ahead, past the engine leases the others took in real time.
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 600_000;
    put_claim(&*store, "job.deploy", "ghost", t0 - 120_000, t0 - 60_000).await;
    let later = replica(&store, &cluster, Some(t0)).await;
    gate.open_once();
    let rec2 = later.deploy(&dev, &id).await.unwrap();
    assert!(rec2.attempt > rec.attempt);
    assert_eq!(cluster.deploys(), 2);
    later.stop(&op, &id, StopHow::Cancel).await.unwrap();

    // A live claim of another process holds; an unreadable one is taken over.
    put_claim(&*store, "job.rollback", "bob", t0, t0 + 60_000).await;
    let e = refused(later.deploy(&dev, &id)).await;
    assert!(busy(&e, "job.rollback", "bob"), "{e:?}");
    assert_eq!(cluster.deploys(), 2);
    store
        .put_doc(DocKind::Claim, "orders", "", "not json")
        .await
        .unwrap();
    gate.open_once();
    later.deploy(&dev, &id).await.unwrap();
    assert_eq!(cluster.deploys(), 3);
    assert_eq!(store.doc(DocKind::Claim, "orders", "").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_per_job_on_memory() {
    claims(Arc::new(MemoryStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_per_job_on_sqlite() {
    claims(Arc::new(SqliteStore::in_memory().await.unwrap())).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_per_job_on_postgres() {
    let Some(s) = postgres("claims").await else {
        return;
    };
    claims(Arc::new(s)).await;
}
