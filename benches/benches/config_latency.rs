//! Latency from a publish to the watch event, on loopback against the Nacos simulator (v1
//! long polling, and Nacos 3.x polling at 100 ms), and for a file edit (notify). Goal: under
//! 100 ms for Nacos v1.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use streampark::config::nacos_sim::{NacosSim, SimApi};
use streampark::config::{ConfigEvent, ConfigKey, ConfigSource, FileSource, NacosSource};

fn nacos(c: &mut Criterion, name: &str, api: SimApi) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (sim, source) = rt.block_on(async {
        let sim = NacosSim::builder()
            .with_api(api)
            .start()
            .await
            .expect("sim");
        let source = NacosSource::builder()
            .with_server(sim.url())
            .with_poll_interval(Duration::from_millis(100))
            .build()
            .expect("source");
        (sim, source)
    });
    let key = ConfigKey::new("bench.yaml");
    sim.publish("", "DEFAULT_GROUP", "bench.yaml", "n: 0\n");
    let mut events = rt.block_on(async {
        let mut s = source.watch(&key).await.expect("watch");
        let _ = s.next().await;
        s
    });
    let mut n = 0u64;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    let start = Instant::now();
                    sim.publish("", "DEFAULT_GROUP", "bench.yaml", &format!("n: {n}\n"));
                    loop {
                        match events.next().await {
                            Some(ConfigEvent::Changed(_)) => break,
                            Some(_) => continue,
                            None => panic!("watch ended"),
                        }
                    }
                    total += start.elapsed();
                }
                total
            })
        })
    });
}

fn file(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("sp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("bench.yaml");
    std::fs::write(&path, "n: 0\n").expect("write");
    let source = FileSource::builder()
        .with_path(&dir)
        .with_debounce(Duration::from_millis(10))
        .build()
        .expect("source");
    let mut events = rt.block_on(async {
        let mut s = source
            .watch(&ConfigKey::new("bench.yaml"))
            .await
            .expect("watch");
        let _ = s.next().await;
        s
    });
    let mut n = 0u64;
    c.bench_function("config/file_edit_to_event (10 ms debounce)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    let start = Instant::now();
                    std::fs::write(&path, format!("n: {n}\n")).expect("write");
                    loop {
                        match events.next().await {
                            Some(ConfigEvent::Changed(_)) => break,
                            Some(_) => continue,
                            None => panic!("watch ended"),
                        }
                    }
                    total += start.elapsed();
                }
                total
            })
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn benches(c: &mut Criterion) {
    nacos(c, "config/nacos_v1_publish_to_event", SimApi::V2);
    nacos(
        c,
        "config/nacos_v3_publish_to_event (100 ms polling)",
        SimApi::V3Only,
    );
    file(c);
}

criterion_group! {
    name = config_latency;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(config_latency);
