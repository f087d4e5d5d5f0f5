//! Behaviour every [`PlatformStore`] must show (feature `testkit`); panics on the first
//! deviation. Keys start with `conf-` so a shared database can be reused.

use super::*;
use crate::platform::audit::{AuditOutcome, Change};

/// Runs every check on a store that holds no `conf-` keys yet.
pub async fn behaviour(store: &dyn PlatformStore) {
    let run = format!("conf-{}", std::process::id());
    let k = |s: &str| format!("{run}-{s}");

    // Documents: put replaces, insert never does, list is ordered and scoped.
    store
        .put(DocKind::Team, &k("t"), "", "{\"a\":1}")
        .await
        .expect("put");
    store
        .put(DocKind::Team, &k("t"), "", "{\"a\":2}")
        .await
        .expect("put again");
    assert_eq!(
        store
            .get(DocKind::Team, &k("t"), "")
            .await
            .expect("get")
            .as_deref(),
        Some("{\"a\":2}")
    );
    assert!(
        store
            .get(DocKind::User, &k("t"), "")
            .await
            .expect("get")
            .is_none(),
        "kinds are separate"
    );
    assert!(
        store
            .insert(DocKind::Version, &k("j"), &num_key(2), "\"v2\"")
            .await
            .expect("insert")
    );
    assert!(
        store
            .insert(DocKind::Version, &k("j"), &num_key(1), "\"v1\"")
            .await
            .expect("insert")
    );
    assert!(
        !store
            .insert(DocKind::Version, &k("j"), &num_key(1), "\"other\"")
            .await
            .expect("insert"),
        "insert never replaces"
    );
    let v = store
        .list(DocKind::Version, Some(&k("j")))
        .await
        .expect("list");
    assert_eq!(
        v.iter().map(|d| d.json.as_str()).collect::<Vec<_>>(),
        ["\"v1\"", "\"v2\""]
    );
    assert!(
        store
            .list(DocKind::Version, Some(&k("other")))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .delete(DocKind::Version, &k("j"), &num_key(2))
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete(DocKind::Version, &k("j"), &num_key(2))
            .await
            .expect("delete")
    );
    assert_eq!(
        store
            .list(DocKind::Version, Some(&k("j")))
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
        store.put_all(&batch).await.expect("put_all"),
        "fresh batch applies"
    );
    let got = |kind, sub: String| {
        let key = k("b");
        async move { store.get(kind, &key, &sub).await.expect("get") }
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
        !store.put_all(&refused).await.expect("put_all"),
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
    assert!(store.put_all(&mixed).await.expect("put_all"));
    assert_eq!(got(DocKind::Deploy, num_key(1)).await, None);
    assert_eq!(
        got(DocKind::Version, num_key(2)).await.as_deref(),
        Some("\"v2\"")
    );
    assert_eq!(
        got(DocKind::Job, String::new()).await.as_deref(),
        Some("\"j4\"")
    );
    assert!(store.put_all(&[]).await.expect("empty batch"));

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
