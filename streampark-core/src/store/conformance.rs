//! Behaviour every [`StateStore`] must show (feature `testkit`); panics on the first deviation.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::SavepointRef;

/// Runs every check on an empty store. Job ids start with `conf-` so a shared database can be
/// reused after dropping those rows.
pub async fn behaviour(store: &dyn StateStore) {
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
