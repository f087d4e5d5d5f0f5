//! `ArtifactStore` against a real HTTP server (axum on 127.0.0.1:0) serving a Maven 2
//! repository layout from a temp dir, with real jar files and their checksum sidecars.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use streampark_core::artifact::{ArtifactRef, ArtifactStore};
use streampark_core::testkit::jar_bytes;
use url::Url;

/// A Maven repository over HTTP that records every path asked for.
struct Repo {
    root: tempfile::TempDir,
    url: Url,
    requests: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct Served {
    root: PathBuf,
    requests: Arc<Mutex<Vec<String>>>,
    basic_auth: Option<String>,
}

async fn serve_file(State(s): State<Served>, headers: HeaderMap, req: Request) -> Response {
    let path = req.uri().path().to_string();
    s.requests.lock().unwrap().push(path.clone());
    if let Some(want) = &s.basic_auth {
        let got = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if got != Some(want.as_str()) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match std::fs::read(s.root.join(rel)) {
        Ok(bytes) => bytes.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

impl Repo {
    async fn start() -> Repo {
        Repo::start_with_auth(None).await
    }

    async fn start_with_auth(basic_auth: Option<String>) -> Repo {
        let root = tempfile::tempdir().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let served = Served {
            root: root.path().to_path_buf(),
            requests: requests.clone(),
            basic_auth,
        };
        let app = axum::Router::new().fallback(serve_file).with_state(served);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let url = Url::parse(&format!("http://{addr}/maven2/")).unwrap();
        Repo {
            root,
            url,
            requests,
        }
    }

    /// Writes a file under the repository root (`maven2/...`).
    fn put(&self, rel: &str, bytes: &[u8]) {
        let p = self.root.path().join("maven2").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    /// Publishes a jar with a `.sha1` sidecar (as Maven Central does for old artifacts).
    fn publish(&self, rel: &str, jar: &[u8]) {
        self.put(rel, jar);
        let sha1 = hex::encode(Sha1::digest(jar));
        self.put(
            &format!("{rel}.sha1"),
            format!("{sha1}  {rel}\n").as_bytes(),
        );
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn jar_requests(&self) -> usize {
        self.requests()
            .iter()
            .filter(|p| p.ends_with(".jar"))
            .count()
    }

    fn store(&self, cache: &Path) -> ArtifactStore {
        ArtifactStore::builder()
            .with_cache_dir(cache)
            .with_maven_repository(self.url.clone())
            .build()
            .unwrap()
    }
}

fn udf_jar(tag: &str) -> Vec<u8> {
    jar_bytes(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n"),
        ("com/example/Udf.class", tag.as_bytes()),
    ])
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn temp_files(cache: &Path) -> usize {
    std::fs::read_dir(cache.join("tmp")).unwrap().count()
}

#[tokio::test]
async fn resolves_coordinates_from_the_maven_layout_and_checks_the_sha1_sidecar() {
    let repo = Repo::start().await;
    let jar = udf_jar("v1");
    repo.publish("com/example/flink/my-udf/1.2.0/my-udf-1.2.0.jar", &jar);
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());

    let r = ArtifactRef::maven("com.example.flink:my-udf:1.2.0").unwrap();
    let a = store.resolve(&r).await.unwrap();
    assert_eq!(a.sha256, sha256(&jar));
    assert_eq!(a.size, jar.len() as u64);
    assert_eq!(std::fs::read(&a.path).unwrap(), jar);
    assert!(a.path.starts_with(cache.path()));
    assert_eq!(a.reference, r);
    let asked = repo.requests();
    assert!(
        asked.contains(&"/maven2/com/example/flink/my-udf/1.2.0/my-udf-1.2.0.jar".to_string()),
        "{asked:?}"
    );
    assert!(asked.iter().any(|p| p.ends_with(".jar.sha1")), "{asked:?}");
    assert_eq!(temp_files(cache.path()), 0);
}

#[tokio::test]
async fn a_second_resolve_is_a_cache_hit_without_any_request() {
    let repo = Repo::start().await;
    let jar = udf_jar("cached");
    repo.publish("org/acme/conn/2.0/conn-2.0.jar", &jar);
    let cache = tempfile::tempdir().unwrap();
    let r = ArtifactRef::maven("org.acme:conn:2.0").unwrap();

    let first = repo.store(cache.path()).resolve(&r).await.unwrap();
    let after_first = repo.requests().len();
    assert!(after_first >= 2, "{:?}", repo.requests());
    // same store, a new store on the same cache dir, and the reference with its checksum
    let again = repo.store(cache.path()).resolve(&r).await.unwrap();
    let with_sum = repo
        .store(cache.path())
        .resolve(&r.clone().with_sha256(&first.sha256))
        .await
        .unwrap();
    assert_eq!(again.path, first.path);
    assert_eq!(with_sum.path, first.path);
    assert_eq!(repo.requests().len(), after_first, "{:?}", repo.requests());
}

#[tokio::test]
async fn snapshots_are_downloaded_again() {
    let repo = Repo::start().await;
    repo.publish(
        "org/acme/conn/3.0-SNAPSHOT/conn-3.0-SNAPSHOT.jar",
        &udf_jar("s1"),
    );
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let r = ArtifactRef::maven("org.acme:conn:3.0-SNAPSHOT").unwrap();
    let a = store.resolve(&r).await.unwrap();
    repo.publish(
        "org/acme/conn/3.0-SNAPSHOT/conn-3.0-SNAPSHOT.jar",
        &udf_jar("s2"),
    );
    let b = store.resolve(&r).await.unwrap();
    assert_ne!(a.sha256, b.sha256);
    assert_eq!(repo.jar_requests(), 2);
}

#[tokio::test]
async fn sidecar_mismatch_fails_naming_the_artifact_and_caches_nothing() {
    let repo = Repo::start().await;
    let jar = udf_jar("real");
    let rel = "org/acme/bad/1.0/bad-1.0.jar";
    repo.put(rel, &jar);
    let wrong = hex::encode(Sha1::digest(b"something else"));
    repo.put(&format!("{rel}.sha1"), wrong.as_bytes());
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let e = store
        .resolve(&ArtifactRef::maven("org.acme:bad:1.0").unwrap())
        .await
        .unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("org.acme:bad:1.0"), "{shown}");
    assert!(shown.contains("checksum mismatch"), "{shown}");
    assert!(shown.contains(&wrong), "expected value missing: {shown}");
    assert!(
        shown.contains(&hex::encode(Sha1::digest(&jar))),
        "actual value missing: {shown}"
    );
    assert_eq!(
        std::fs::read_dir(cache.path().join("sha256"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(temp_files(cache.path()), 0);
}

#[tokio::test]
async fn a_sha256_sidecar_is_preferred_and_the_references_own_checksum_is_checked() {
    let repo = Repo::start().await;
    let jar = udf_jar("both");
    let rel = "org/acme/both/1.0/both-1.0.jar";
    repo.put(rel, &jar);
    repo.put(&format!("{rel}.sha256"), sha256(&jar).as_bytes());
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let r = ArtifactRef::maven("org.acme:both:1.0").unwrap();
    store.resolve(&r).await.unwrap();
    assert!(!repo.requests().iter().any(|p| p.ends_with(".sha1")));

    let want = "ab".repeat(32);
    let e = store
        .resolve(&r.clone().with_sha256(&want))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("org.acme:both:1.0") && e.contains(&want) && e.contains(&sha256(&jar)),
        "{e}"
    );
}

#[tokio::test]
async fn missing_jar_is_not_found_naming_the_artifact() {
    let repo = Repo::start().await;
    let cache = tempfile::tempdir().unwrap();
    let e = repo
        .store(cache.path())
        .resolve(&ArtifactRef::maven("org.acme:ghost:9.9").unwrap())
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let shown = e.to_string();
    assert!(shown.contains("org.acme:ghost:9.9"), "{shown}");
    assert!(shown.contains("404"), "{shown}");
}

#[tokio::test]
async fn classifier_selects_the_classified_file() {
    let repo = Repo::start().await;
    let plain = udf_jar("plain");
    let tests = udf_jar("tests");
    repo.publish("org/acme/lib/1.0/lib-1.0.jar", &plain);
    repo.publish("org/acme/lib/1.0/lib-1.0-tests.jar", &tests);
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let a = store
        .resolve(&ArtifactRef::maven("org.acme:lib:1.0:tests").unwrap())
        .await
        .unwrap();
    assert_eq!(a.sha256, sha256(&tests));
    let b = store
        .resolve(&ArtifactRef::maven("org.acme:lib:1.0").unwrap())
        .await
        .unwrap();
    assert_eq!(b.sha256, sha256(&plain));
}

#[tokio::test]
async fn http_url_with_checksum_then_cache_hit() {
    let repo = Repo::start().await;
    let jar = udf_jar("http");
    repo.put("files/connector.jar", &jar);
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let url = repo.url.join("files/connector.jar").unwrap();
    let r = ArtifactRef::http(url.as_str(), sha256(&jar));
    let a = store.resolve(&r).await.unwrap();
    assert_eq!(std::fs::read(&a.path).unwrap(), jar);
    let n = repo.requests().len();
    assert_eq!(n, 1);
    store.resolve(&r).await.unwrap();
    assert_eq!(repo.requests().len(), n);

    let wrong = ArtifactRef::http(
        repo.url.join("files/connector.jar").unwrap().as_str(),
        "cd".repeat(32),
    );
    let e = store.resolve(&wrong).await.unwrap_err().to_string();
    assert!(
        e.contains("connector.jar") && e.contains("checksum mismatch"),
        "{e}"
    );
}

#[tokio::test]
async fn local_path_with_and_without_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let jar = udf_jar("local");
    let p = dir.path().join("udf.jar");
    std::fs::write(&p, &jar).unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(dir.path().join("cache"))
        .build()
        .unwrap();
    let r = ArtifactRef::local(p.display().to_string());
    let a = store.resolve(&r).await.unwrap();
    assert_eq!(a.sha256, sha256(&jar));
    let b = store
        .resolve(&r.clone().with_sha256(sha256(&jar)))
        .await
        .unwrap();
    assert_eq!(a.path, b.path);
    let e = store
        .resolve(&r.with_sha256("0".repeat(64)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("udf.jar") && e.contains("checksum mismatch"),
        "{e}"
    );
}

#[tokio::test]
async fn corrupt_non_zip_file_is_rejected() {
    let repo = Repo::start().await;
    // an HTML error page served with 200, as some proxies do, with a matching sidecar
    let page = b"<html><body>Proxy error: upstream unavailable</body></html>".to_vec();
    repo.publish("org/acme/html/1.0/html-1.0.jar", &page);
    // a truncated jar
    let jar = udf_jar("truncated");
    repo.publish("org/acme/cut/1.0/cut-1.0.jar", &jar[..jar.len() - 10]);
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    for coords in ["org.acme:html:1.0", "org.acme:cut:1.0"] {
        let e = store
            .resolve(&ArtifactRef::maven(coords).unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(coords) && e.contains("not a jar"), "{e}");
    }
    assert_eq!(temp_files(cache.path()), 0);
    assert_eq!(
        std::fs::read_dir(cache.path().join("sha256"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test]
async fn concurrent_resolves_of_one_artifact_download_it_once() {
    let repo = Repo::start().await;
    let jar = udf_jar("concurrent");
    repo.publish("org/acme/conc/1.0/conc-1.0.jar", &jar);
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let r = ArtifactRef::maven("org.acme:conc:1.0").unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, r) = (store.clone(), r.clone());
            tokio::spawn(async move { s.resolve(&r).await })
        })
        .collect();
    let mut paths = Vec::new();
    for t in tasks {
        paths.push(t.await.unwrap().unwrap().path);
    }
    paths.dedup();
    assert_eq!(paths.len(), 1);
    assert_eq!(std::fs::read(&paths[0]).unwrap(), jar);
    assert_eq!(repo.jar_requests(), 1, "{:?}", repo.requests());
}

#[tokio::test]
async fn resolve_all_keeps_order_and_fails_on_the_first_bad_one() {
    let repo = Repo::start().await;
    let (a, b) = (udf_jar("a"), udf_jar("b"));
    repo.publish("g/a/1/a-1.jar", &a);
    repo.publish("g/b/1/b-1.jar", &b);
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    let refs = [
        ArtifactRef::maven("g:b:1").unwrap(),
        ArtifactRef::maven("g:a:1").unwrap(),
    ];
    let got = store.resolve_all(&refs).await.unwrap();
    assert_eq!(got[0].sha256, sha256(&b));
    assert_eq!(got[1].sha256, sha256(&a));
    let e = store
        .resolve_all(&[refs[0].clone(), ArtifactRef::maven("g:missing:1").unwrap()])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("g:missing:1"), "{e}");
}

#[tokio::test]
async fn repository_credentials_are_sent_and_never_shown() {
    // "Basic " + base64("deployer:s3cret-pw")
    let repo = Repo::start_with_auth(Some("Basic ZGVwbG95ZXI6czNjcmV0LXB3".into())).await;
    repo.publish("g/p/1/p-1.jar", &udf_jar("private"));
    let cache = tempfile::tempdir().unwrap();
    let mut with_auth = repo.url.clone();
    with_auth.set_username("deployer").unwrap();
    with_auth.set_password(Some("s3cret-pw")).unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(cache.path())
        .with_maven_repository(with_auth.clone())
        .build()
        .unwrap();
    store
        .resolve(&ArtifactRef::maven("g:p:1").unwrap())
        .await
        .unwrap();
    let e = store
        .resolve(&ArtifactRef::maven("g:q:1").unwrap())
        .await
        .unwrap_err();
    let shown = format!("{e} {e:?} {store:?}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    // without credentials: denied, naming the artifact
    let anon = repo.store(tempfile::tempdir().unwrap().path());
    let e = anon
        .resolve(&ArtifactRef::maven("g:p:1").unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("permission denied") && e.contains("g:p:1"),
        "{e}"
    );
}

#[tokio::test]
async fn oversized_bodies_are_cut_off() {
    let repo = Repo::start().await;
    let big = jar_bytes(&[("blob.bin", &vec![7u8; 64 * 1024])]);
    repo.publish("g/big/1/big-1.jar", &big);
    let cache = tempfile::tempdir().unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(cache.path())
        .with_maven_repository(repo.url.clone())
        .with_max_size(4096)
        .build()
        .unwrap();
    let e = store
        .resolve(&ArtifactRef::maven("g:big:1").unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("g:big:1") && e.contains("size cap of 4096"),
        "{e}"
    );
    assert_eq!(temp_files(cache.path()), 0);
}

/// A raw HTTP server answering every request with `response`, then closing.
async fn raw_server(response: Vec<u8>) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock.write_all(&response).await;
            let _ = sock.shutdown().await;
        }
    });
    addr
}

/// An absurd Content-Length is refused before the body is read; no panic, no temp file.
#[tokio::test]
async fn a_hostile_content_length_is_refused() {
    let addr = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\nPK\x03\x04".to_vec(),
    )
    .await;
    let cache = tempfile::tempdir().unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(cache.path())
        .build()
        .unwrap();
    let r = ArtifactRef::http(format!("http://{addr}/huge.jar"), "0".repeat(64));
    let e = store.resolve(&r).await.unwrap_err().to_string();
    assert!(
        e.contains("huge.jar") && e.contains("1000000000000000 bytes"),
        "{e}"
    );
    assert_eq!(temp_files(cache.path()), 0);
}

/// A body without Content-Length that grows past the cap is cut off while streaming.
#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_cap() {
    let mut resp = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    resp.extend(std::iter::repeat_n(b'x', 200_000));
    let addr = raw_server(resp).await;
    let cache = tempfile::tempdir().unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(cache.path())
        .with_max_size(50_000)
        .build()
        .unwrap();
    let r = ArtifactRef::http(format!("http://{addr}/stream.jar"), "0".repeat(64));
    let e = store.resolve(&r).await.unwrap_err().to_string();
    assert!(
        e.contains("stream.jar") && e.contains("size cap of 50000"),
        "{e}"
    );
    assert_eq!(temp_files(cache.path()), 0);
}

#[tokio::test]
async fn traversal_in_coordinates_never_reaches_the_server() {
    let repo = Repo::start().await;
    let cache = tempfile::tempdir().unwrap();
    let store = repo.store(cache.path());
    assert!(ArtifactRef::maven("org.acme:..:1").is_err());
    let sneaky: ArtifactRef = serde_json::from_value(serde_json::json!({
        "kind": "maven", "group": "org.acme", "artifact": "x/../../../etc", "version": "1"
    }))
    .unwrap();
    let e = store.resolve(&sneaky).await.unwrap_err();
    assert!(
        matches!(e, streampark_core::Error::InvalidInput { .. }),
        "{e}"
    );
    assert!(repo.requests().is_empty());
}

// ---------------------------------------------------------------- shipping on the simulator

mod sim {
    use super::*;
    use streampark_core::testkit::SimDeployer;
    use streampark_core::{DeployRequest, Deployer, JobSpec, Selector};

    const SQL: &str = "CREATE TEMPORARY FUNCTION shout AS 'io.streampark.it.udf.Shout';\n\
        CREATE TABLE s (a STRING) WITH ('connector'='datagen');\n\
        CREATE TABLE k (a STRING) WITH ('connector'='blackhole');\n\
        INSERT INTO k SELECT shout(a) FROM s;";

    /// What a platform does: resolve the job's artifacts, then deploy with their cache paths.
    async fn deploy_with(
        store: &ArtifactStore,
        sim: &SimDeployer,
        refs: &[ArtifactRef],
    ) -> streampark_core::Result<streampark_core::Deployment> {
        let mut spec = JobSpec::sql("udf-job", SQL)?;
        for a in store.resolve_all(refs).await? {
            spec = spec.with_jar(a.path.display().to_string());
        }
        sim.deploy(DeployRequest::new(spec, 1)).await
    }

    #[tokio::test(start_paused = true)]
    async fn resolved_artifacts_are_shipped_with_the_job() {
        let repo = Repo::start().await;
        repo.publish("com/example/udf/1.0/udf-1.0.jar", &udf_jar("udf"));
        let cache = tempfile::tempdir().unwrap();
        let store = repo.store(cache.path());
        let sim = SimDeployer::new();
        let refs = [ArtifactRef::maven("com.example:udf:1.0").unwrap()];
        let dep = deploy_with(&store, &sim, &refs).await.unwrap();
        let shipped = sim.shipped_jars(&dep.id).unwrap();
        assert_eq!(shipped.len(), 1);
        assert!(shipped[0].starts_with(&cache.path().display().to_string()));
        assert_eq!(std::fs::read(&shipped[0]).unwrap(), udf_jar("udf"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_checksum_mismatch_fails_before_deploy() {
        let repo = Repo::start().await;
        repo.publish("com/example/udf/1.0/udf-1.0.jar", &udf_jar("udf"));
        let cache = tempfile::tempdir().unwrap();
        let store = repo.store(cache.path());
        let sim = SimDeployer::new();
        let refs = [ArtifactRef::maven("com.example:udf:1.0")
            .unwrap()
            .with_sha256("11".repeat(32))];
        let e = deploy_with(&store, &sim, &refs).await.unwrap_err();
        assert!(e.to_string().contains("com.example:udf:1.0"), "{e}");
        assert_eq!(sim.stats().deploys, 0);
        assert!(sim.list(&Selector::All).await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_jar_fails_the_deploy_naming_it_and_starts_nothing() {
        let sim = SimDeployer::new();
        let spec = JobSpec::sql("udf-job", SQL)
            .unwrap()
            .with_jar("hdfs:///flink/libs/kafka.jar")
            .with_jar("/nowhere/missing-udf.jar");
        let e = sim.deploy(DeployRequest::new(spec, 1)).await.unwrap_err();
        assert!(e.is_not_found(), "{e}");
        assert!(e.to_string().contains("/nowhere/missing-udf.jar"), "{e}");
        assert!(sim.list(&Selector::All).await.unwrap().is_empty());
        // the same attempt can still be deployed once the jar is there
        let dir = tempfile::tempdir().unwrap();
        let jar = dir.path().join("udf.jar");
        std::fs::write(&jar, udf_jar("x")).unwrap();
        let spec = JobSpec::sql("udf-job", SQL)
            .unwrap()
            .with_jar("hdfs:///flink/libs/kafka.jar")
            .with_jar(jar.display().to_string());
        let dep = sim.deploy(DeployRequest::new(spec, 1)).await.unwrap();
        assert_eq!(
            sim.shipped_jars(&dep.id).unwrap(),
            [
                "hdfs:///flink/libs/kafka.jar".to_string(),
                jar.display().to_string()
            ]
        );
    }
}
