//! Artifact store costs (one resolve per extra jar per deploy):
//!
//! - `artifact_cache_hit`: resolve a reference whose checksum is known and whose jar is in the
//!   cache (a Maven reference with `sha256`): no request, one `stat`;
//! - `artifact_local_1mib`: resolve a 1 MiB local jar: copy into the cache while hashing
//!   (SHA-256 + SHA-1), zip structure check, rename.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streampark::artifact::{ArtifactRef, ArtifactStore};
use streampark::testkit::jar_bytes;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blob: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let jar = jar_bytes(&[("blob.bin", &blob)]);
    let src = dir.path().join("udf.jar");
    std::fs::write(&src, &jar).unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(dir.path().join("cache"))
        .with_maven_repository(url::Url::parse("http://127.0.0.1:9/unreachable/").unwrap())
        .build()
        .unwrap();
    let local = ArtifactRef::local(src.display().to_string());
    let resolved = rt.block_on(store.resolve(&local)).unwrap();
    // Same content, as a Maven reference with its checksum: a pure cache hit (the repository
    // is unreachable, so any request would fail the bench).
    let maven = ArtifactRef::maven("com.example:udf:1.0")
        .unwrap()
        .with_sha256(&resolved.sha256);

    c.bench_function("artifact_cache_hit", |b| {
        b.iter(|| {
            let a = rt.block_on(store.resolve(black_box(&maven))).unwrap();
            assert_eq!(a.size, jar.len() as u64);
        })
    });
    c.bench_function("artifact_local_1mib", |b| {
        b.iter(|| {
            let a = rt.block_on(store.resolve(black_box(&local))).unwrap();
            assert_eq!(a.sha256, resolved.sha256);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
