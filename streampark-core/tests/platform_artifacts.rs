//! Per-job artifacts through the platform: stored with each version, diffed, resolved at
//! deploy time into `JobSpec::jars`; a missing or corrupt artifact fails the deploy before
//! anything starts, naming it. The HTTP server is a tiny in-test responder on 127.0.0.1:0.

mod platform_support;

use std::sync::Arc;

use platform_support::*;
use sha2::{Digest, Sha256};
use streampark_core::Platform;
use streampark_core::artifact::{ArtifactRef, ArtifactStore};
use streampark_core::store::MemoryStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The smallest valid jar: a zip with one empty stored entry `a`.
fn tiny_jar() -> Vec<u8> {
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x03\x04");
    z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
    z.extend_from_slice(&[0; 12]); // crc, sizes
    z.extend_from_slice(&[1, 0, 0, 0]); // name len, extra len
    z.push(b'a');
    let cd = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02");
    z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // made by, needed, flags, method, time, date
    z.extend_from_slice(&[0; 12]); // crc, sizes
    z.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // name, extra, comment, disk, attrs
    z.extend_from_slice(&[0, 0, 0, 0]); // local header offset
    z.push(b'a');
    let cd_len = z.len() as u32 - cd;
    z.extend_from_slice(b"PK\x05\x06");
    z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

/// Serves `body` for every request; returns the base URL.
async fn serve(body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/java-archive\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn artifacts_are_versioned_resolved_and_shipped() {
    let cache = tempfile::tempdir().unwrap();
    let jar = tiny_jar();
    let sha = hex::encode(Sha256::digest(&jar));
    let base = serve(jar.clone()).await;
    let local = cache.path().join("udf.jar");
    std::fs::write(&local, &jar).unwrap();

    let store = Arc::new(MemoryStore::new());
    let f = fixture(store.clone()).await;
    let artifacts = ArtifactStore::builder()
        .with_cache_dir(cache.path().join("cache"))
        .build()
        .unwrap();
    // The fixture's platform has no artifact store; build one over the same state that has.
    let pf = Platform::builder()
        .with_deployer(Arc::new(f.deployer.clone()))
        .with_store(store)
        .with_artifact_store(artifacts)
        .build()
        .await
        .unwrap();
    let dev = p("a-developer");
    let s = spec("with-jars", "a");
    let id = s.id.clone();

    // v1: an HTTP jar with a wrong checksum. The deploy fails naming it; nothing started.
    let bad = ArtifactRef::http(format!("{base}/connector.jar"), "0".repeat(64));
    pf.create_job_with_artifacts(&dev, s.clone(), vec![bad], "v1")
        .await
        .unwrap();
    let e = pf.deploy(&dev, &id).await.unwrap_err();
    assert!(e.to_string().contains("connector.jar"), "{e}");
    assert!(f.deployer.requests.lock().unwrap().is_empty());

    // The fixture's platform (no artifact store) refuses to deploy a job with artifacts.
    let e = f.platform.deploy(&dev, &id).await.unwrap_err();
    assert!(e.to_string().contains("artifact store"), "{e}");

    // v2: a missing local jar also fails before anything starts, naming it.
    let missing = ArtifactRef::local("/nonexistent/dir/missing-udf.jar");
    pf.update_job_with_artifacts(&dev, s.clone(), Some(vec![missing]), "v2")
        .await
        .unwrap();
    let e = pf.deploy(&dev, &id).await.unwrap_err();
    assert!(e.to_string().contains("missing-udf.jar"), "{e}");
    assert!(f.deployer.requests.lock().unwrap().is_empty());

    // v3: the right checksum plus a local jar: both shipped, from the cache.
    let good = vec![
        ArtifactRef::http(format!("{base}/connector.jar"), sha.clone()),
        ArtifactRef::local(local.display().to_string()),
    ];
    let v3 = pf
        .update_job_with_artifacts(&dev, s.clone(), Some(good), "v3")
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    let d = pf.diff(&dev, &id, 2, 3).await.unwrap();
    let keys: Vec<&str> = d.changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["artifacts[0]", "artifacts[1]"]);
    assert!(
        d.changes[0]
            .before
            .as_deref()
            .unwrap()
            .contains("missing-udf.jar")
    );
    let rec = pf.deploy(&dev, &id).await.unwrap();
    let sent = f.deployer.last();
    assert_eq!(sent.spec.jars.len(), 2);
    for j in &sent.spec.jars {
        assert!(
            j.starts_with(&cache.path().join("cache").display().to_string()),
            "{j}"
        );
        assert_eq!(std::fs::read(j).unwrap(), jar);
    }
    assert_eq!(
        rec.resolved.jars, sent.spec.jars,
        "the deploy record shows what was shipped"
    );

    // A plain edit keeps the artifacts; a rollback to v1 brings the bad one back.
    let v4 = pf
        .update_job(&dev, s.clone().with_name("renamed"), "v4")
        .await
        .unwrap();
    assert_eq!(v4.artifacts, v3.artifacts);
    let (v5, _) = pf.rollback(&dev, &id, 1, "", false).await.unwrap();
    assert!(
        matches!(&v5.artifacts[..], [ArtifactRef::Http { sha256, .. }] if sha256 == &"0".repeat(64))
    );
}

/// A connector built for another Flink release than the cluster's is refused when the
/// version is saved, naming the artifact, before anything is fetched or started.
#[tokio::test]
async fn connectors_for_another_flink_are_refused_before_anything_starts() {
    let store = Arc::new(MemoryStore::new());
    let f = fixture(store.clone()).await;
    let cache = tempfile::tempdir().unwrap();
    let pf = Platform::builder()
        .with_cluster_version(
            "cdp",
            Arc::new(f.deployer.clone()),
            "1.14.0-csa1.6.0.0".parse().unwrap(),
        )
        .with_store(store)
        .with_artifact_store(
            ArtifactStore::builder()
                .with_cache_dir(cache.path())
                .build()
                .unwrap(),
        )
        .build()
        .await
        .unwrap();
    let dev = p("a-developer");
    let s = spec("cdc-orders", "a");
    for (coords, names) in [
        (
            "org.apache.flink:flink-connector-jdbc:3.3.0-1.20",
            "Flink 1.20",
        ),
        (
            "org.apache.flink:flink-sql-connector-mysql-cdc:3.5.0",
            "1.19, 1.20",
        ),
    ] {
        let a = ArtifactRef::maven(coords).unwrap();
        let e = pf
            .create_job_with_artifacts(&dev, s.clone(), vec![a], "v1")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(coords) && e.contains(names) && e.contains("1.14"),
            "{e}"
        );
    }
    // Nothing was saved, fetched or started.
    assert!(pf.job(&dev, &s.id).await.is_err());
    assert!(f.deployer.requests.lock().unwrap().is_empty());
    fn jars(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |rd| {
            rd.map(|e| e.unwrap().path())
                .map(|p| {
                    if p.is_dir() {
                        jars(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "jar"))
                    }
                })
                .sum()
        })
    }
    assert_eq!(jars(cache.path()), 0, "nothing fetched");
    // The release built for it is taken.
    let ok = ArtifactRef::maven("org.apache.flink:flink-sql-connector-kafka:1.14.6").unwrap();
    pf.create_job_with_artifacts(&dev, s.clone(), vec![ok], "v1")
        .await
        .unwrap();
}
