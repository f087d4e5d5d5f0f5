//! Behaviour every [`Store`] must show (feature `testkit`), engine and governance records
//! alike; panics on the first deviation.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::SavepointRef;
use crate::platform::{AuditOutcome, AuditQuery, AuditRecord, Change};

/// Runs every check on an empty store. Job ids and document keys start with `conf-` so a
/// shared database can be reused after dropping those rows.
pub async fn behaviour(store: &dyn Store) {
    engine(store).await;
    governance(store).await;
}

/// The engine half: jobs, spec versions, attempts, restore points, events, leases.
async fn engine(store: &dyn StateStore) {
    let mut spec = JobSpec::sql("conf-a", "INSERT INTO k SELECT 1").expect("valid spec");
    let id = spec.id.clone();

    // Jobs and spec versions.
    let r = store.put_job(&spec, 10).await.expect("put job");
    assert_eq!(
        (r.spec_version, r.last_attempt, r.desired),
        (1, 0, DesiredState::Running)
    );
    let again = store.put_job(&spec, 11).await.expect("put same spec");
    assert_eq!(again.spec_version, 1, "an unchanged spec keeps its version");
    store
        .set_desired(&id, DesiredState::Stopped, 12)
        .await
        .expect("set desired");
    spec = spec.with_name("renamed");
    let r2 = store.put_job(&spec, 13).await.expect("put new spec");
    assert_eq!(r2.spec_version, 2);
    assert_eq!(
        r2.desired,
        DesiredState::Stopped,
        "a new spec keeps the desired state"
    );
    let v1 = store
        .spec_version(&id, 1)
        .await
        .expect("v1")
        .expect("v1 kept");
    assert_eq!(v1.name, "");
    assert_eq!(store.spec_version(&id, 3).await.expect("v3"), None);
    let stored = store.job(&id).await.expect("job").expect("exists");
    assert_eq!(stored.spec, spec);
    let unknown = JobId::new("conf-nope").expect("id");
    assert!(store.job(&unknown).await.expect("job").is_none());
    assert!(
        store
            .set_desired(&unknown, DesiredState::Running, 0)
            .await
            .expect_err("unknown job")
            .is_not_found()
    );

    // Attempts: compare-and-swap.
    let a1 = store
        .begin_attempt(NewAttempt::next(id.clone(), 0, "s1", 20))
        .await
        .expect("attempt 1");
    assert_eq!(
        (a1.attempt, a1.spec_version, a1.status),
        (1, 2, AttemptStatus::Starting)
    );
    let lost = store
        .begin_attempt(NewAttempt::next(id.clone(), 0, "s2", 20))
        .await
        .expect_err("stale swap");
    match lost {
        crate::Error::Fenced {
            live_attempt,
            attempt,
            ..
        } => assert_eq!((attempt, live_attempt), (1, 1)),
        other => panic!("expected Fenced, got {other:?}"),
    }
    let mut backwards = NewAttempt::next(id.clone(), 1, "s1", 21);
    backwards.attempt = 1;
    assert!(
        store
            .begin_attempt(backwards)
            .await
            .expect_err("not increasing")
            .is_fenced()
    );
    store
        .update_attempt(
            &id,
            1,
            AttemptUpdate::status(AttemptStatus::Deployed).with_deployment(DeploymentId::new("d1")),
        )
        .await
        .expect("update");
    store
        .update_attempt(
            &id,
            1,
            AttemptUpdate::status(AttemptStatus::Ended).with_end(
                30,
                Some(JobState::Failed),
                Some("boom".into()),
            ),
        )
        .await
        .expect("end");
    let mut adopt = NewAttempt::next(id.clone(), 1, "s2", 40);
    adopt.attempt = 5;
    adopt.status = AttemptStatus::Deployed;
    adopt.deployment = Some(DeploymentId::new("d5"));
    store
        .begin_attempt(adopt)
        .await
        .expect("adopt a higher attempt");
    assert!(
        store
            .update_attempt(&id, 3, AttemptUpdate::default())
            .await
            .expect_err("unknown attempt")
            .is_not_found()
    );
    let all = store.attempts(&id).await.expect("attempts");
    assert_eq!(
        all.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        vec![1, 5]
    );
    assert_eq!(all[0].deployment, Some(DeploymentId::new("d1")));
    assert_eq!(all[0].status, AttemptStatus::Ended);
    assert_eq!(all[0].final_state, Some(JobState::Failed));
    assert_eq!(all[0].reason.as_deref(), Some("boom"));
    assert_eq!(all[0].ended_ms, Some(30));
    assert_eq!(all[1].owner, "s2");
    assert_eq!(
        store
            .job(&id)
            .await
            .expect("job")
            .expect("job")
            .last_attempt,
        5
    );

    // Restore points: newest completion wins; same path recorded once.
    assert_eq!(
        store.latest_restore_point(&id, 0).await.expect("none"),
        None
    );
    let c1 = SavepointRef::checkpoint("file:///c/chk-1").with_completed_at_ms(100);
    let s1 = SavepointRef::savepoint("file:///s/sp-1").with_completed_at_ms(300);
    let c2 = SavepointRef::checkpoint("file:///c/chk-2").with_completed_at_ms(200);
    for p in [&c1, &s1, &c2, &c1] {
        store.add_restore_point(&id, 1, p).await.expect("add point");
    }
    assert_eq!(
        store.latest_restore_point(&id, 0).await.expect("latest"),
        Some(s1.clone())
    );
    // Only points of attempt 2 or later: none yet; then the older-completed one of attempt 2
    // wins over attempt 1's newer savepoint.
    assert_eq!(
        store.latest_restore_point(&id, 2).await.expect("since"),
        None
    );
    let c3 = SavepointRef::checkpoint("file:///c/chk-3").with_completed_at_ms(250);
    store
        .add_restore_point(&id, 2, &c3)
        .await
        .expect("add point");
    assert_eq!(
        store.latest_restore_point(&id, 2).await.expect("since"),
        Some(c3)
    );
    assert_eq!(
        store.latest_restore_point(&id, 1).await.expect("since"),
        Some(s1)
    );

    // Events.
    let other = JobId::new("conf-b").expect("id");
    let e1 = store
        .append_event(&EventRecord::new(
            id.clone(),
            1,
            "started",
            "s1",
            json!({"x": 1}),
            50,
        ))
        .await
        .expect("event");
    let e2 = store
        .append_event(&EventRecord::new(
            other.clone(),
            0,
            "audit.stop",
            "alice",
            json!(null),
            51,
        ))
        .await
        .expect("event");
    assert!(e2 > e1);
    let mine = store.events(Some(&id), 0, 10).await.expect("events");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].detail, json!({"x": 1}));
    assert_eq!(mine[0].kind, "started");
    assert_eq!(
        store.events(None, e1, 10).await.expect("events")[0].actor,
        "alice"
    );
    assert_eq!(store.events(None, 0, 1).await.expect("events").len(), 1);

    // Leases.
    let ttl = Duration::from_secs(10);
    assert!(store.try_lease(&id, "s1", ttl, 1_000).await.expect("lease"));
    assert!(
        !store
            .try_lease(&id, "s2", ttl, 5_000)
            .await
            .expect("lease held")
    );
    assert!(store.try_lease(&id, "s1", ttl, 9_000).await.expect("renew"));
    assert!(
        !store
            .try_lease(&id, "s2", ttl, 18_999)
            .await
            .expect("renewed lease held")
    );
    assert!(
        store
            .try_lease(&id, "s2", ttl, 19_000)
            .await
            .expect("expired lease taken")
    );
    store
        .release_lease(&id, "s1")
        .await
        .expect("release by non-holder");
    assert!(
        !store
            .try_lease(&id, "s1", ttl, 19_001)
            .await
            .expect("still s2")
    );
    store.release_lease(&id, "s2").await.expect("release");
    assert!(
        store
            .try_lease(&id, "s1", ttl, 19_002)
            .await
            .expect("free again")
    );
}

/// The governance half: documents, batches and the audit log.
async fn governance(store: &dyn Store) {
    let run = format!("conf-{}", std::process::id());
    let k = |s: &str| format!("{run}-{s}");

    // Documents: put replaces, insert never does, list is ordered and scoped.
    store
        .put_doc(DocKind::Team, &k("t"), "", "{\"a\":1}")
        .await
        .expect("put");
    store
        .put_doc(DocKind::Team, &k("t"), "", "{\"a\":2}")
        .await
        .expect("put again");
    assert_eq!(
        store
            .doc(DocKind::Team, &k("t"), "")
            .await
            .expect("get")
            .as_deref(),
        Some("{\"a\":2}")
    );
    assert!(
        store
            .doc(DocKind::User, &k("t"), "")
            .await
            .expect("get")
            .is_none(),
        "kinds are separate"
    );
    assert!(
        store
            .insert_doc(DocKind::Version, &k("j"), &num_key(2), "\"v2\"")
            .await
            .expect("insert")
    );
    assert!(
        store
            .insert_doc(DocKind::Version, &k("j"), &num_key(1), "\"v1\"")
            .await
            .expect("insert")
    );
    assert!(
        !store
            .insert_doc(DocKind::Version, &k("j"), &num_key(1), "\"other\"")
            .await
            .expect("insert"),
        "insert never replaces"
    );
    let v = store
        .docs(DocKind::Version, Some(&k("j")))
        .await
        .expect("list");
    assert_eq!(
        v.iter().map(|d| d.json.as_str()).collect::<Vec<_>>(),
        ["\"v1\"", "\"v2\""]
    );
    assert!(
        store
            .docs(DocKind::Version, Some(&k("other")))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .delete_doc(DocKind::Version, &k("j"), &num_key(2))
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_doc(DocKind::Version, &k("j"), &num_key(2))
            .await
            .expect("delete")
    );
    assert_eq!(
        store
            .docs(DocKind::Version, Some(&k("j")))
            .await
            .expect("list")
            .len(),
        1
    );

    // Batches: all or nothing.
    let batch = [
        DocWrite::put(DocKind::Deploy, k("b"), num_key(1), "\"d1\""),
        DocWrite::put(DocKind::Job, k("b"), "", "\"j1\""),
        DocWrite::insert(DocKind::Version, k("b"), num_key(1), "\"v1\""),
    ];
    assert!(
        store.write_docs(&batch).await.expect("put_all"),
        "fresh batch applies"
    );
    let got = |kind, sub: String| {
        let key = k("b");
        async move { store.doc(kind, &key, &sub).await.expect("get") }
    };
    assert_eq!(
        got(DocKind::Deploy, num_key(1)).await.as_deref(),
        Some("\"d1\"")
    );
    assert_eq!(
        got(DocKind::Job, String::new()).await.as_deref(),
        Some("\"j1\"")
    );
    // An insert that finds its document refuses the whole batch: the put before it and the
    // delete after it leave no trace.
    let refused = [
        DocWrite::put(DocKind::Job, k("b"), "", "\"j2\""),
        DocWrite::put(DocKind::Deploy, k("b"), num_key(2), "\"d2\""),
        DocWrite::insert(DocKind::Version, k("b"), num_key(1), "\"other\""),
        DocWrite::delete(DocKind::Deploy, k("b"), num_key(1)),
    ];
    assert!(
        !store.write_docs(&refused).await.expect("put_all"),
        "insert found its document"
    );
    assert_eq!(
        got(DocKind::Job, String::new()).await.as_deref(),
        Some("\"j1\"")
    );
    assert_eq!(got(DocKind::Deploy, num_key(2)).await, None);
    assert_eq!(
        got(DocKind::Deploy, num_key(1)).await.as_deref(),
        Some("\"d1\"")
    );
    assert_eq!(
        got(DocKind::Version, num_key(1)).await.as_deref(),
        Some("\"v1\"")
    );
    // Puts, inserts and deletes apply together and in order.
    let mixed = [
        DocWrite::delete(DocKind::Deploy, k("b"), num_key(1)),
        DocWrite::insert(DocKind::Version, k("b"), num_key(2), "\"v2\""),
        DocWrite::put(DocKind::Job, k("b"), "", "\"j3\""),
        DocWrite::put(DocKind::Job, k("b"), "", "\"j4\""),
        DocWrite::delete(DocKind::Deploy, k("b"), num_key(9)),
    ];
    assert!(store.write_docs(&mixed).await.expect("put_all"));
    assert_eq!(got(DocKind::Deploy, num_key(1)).await, None);
    assert_eq!(
        got(DocKind::Version, num_key(2)).await.as_deref(),
        Some("\"v2\"")
    );
    assert_eq!(
        got(DocKind::Job, String::new()).await.as_deref(),
        Some("\"j4\"")
    );
    assert!(store.write_docs(&[]).await.expect("empty batch"));

    // Audit: increasing seq, filters, pagination.
    let mut seqs = Vec::new();
    for (i, (user, job)) in [("u1", "a"), ("u2", "a"), ("u1", "b"), ("u1", "a")]
        .iter()
        .enumerate()
    {
        let rec = AuditRecord {
            seq: 0,
            ts_ms: 1000 + i as i64,
            user: k(user),
            action: "job.edit".into(),
            job: Some(k(job)),
            team: Some(k("t")),
            target: None,
            outcome: if i == 1 {
                AuditOutcome::Denied
            } else {
                AuditOutcome::Ok
            },
            changes: vec![Change::new("name", None, Some("x".into()))],
            note: String::new(),
        };
        seqs.push(store.append_audit(&rec).await.expect("append"));
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let by_user = store
        .audit(&AuditQuery::new().with_user(k("u1")))
        .await
        .expect("audit");
    assert_eq!(by_user.len(), 3);
    assert_eq!(by_user[0].changes[0].key, "name");
    let by_job = store
        .audit(&AuditQuery::new().with_job(k("a")))
        .await
        .expect("audit");
    assert_eq!(by_job.len(), 3);
    assert_eq!(by_job[1].outcome, AuditOutcome::Denied);
    let ranged = store
        .audit(
            &AuditQuery::new()
                .with_team(k("t"))
                .with_time_range(1001, 1003),
        )
        .await
        .expect("audit");
    assert_eq!(
        ranged.iter().map(|r| r.ts_ms).collect::<Vec<_>>(),
        [1001, 1002]
    );
    let page1 = store
        .audit(&AuditQuery::new().with_team(k("t")).with_page(0, 2))
        .await
        .expect("audit");
    assert_eq!(page1.len(), 2);
    let page2 = store
        .audit(
            &AuditQuery::new()
                .with_team(k("t"))
                .with_page(page1[1].seq, 2),
        )
        .await
        .expect("audit");
    assert_eq!(
        page2.iter().map(|r| r.seq).collect::<Vec<_>>(),
        seqs[2..].to_vec()
    );
}
