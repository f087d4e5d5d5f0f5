//! Alerts per second through a 50-route Alertmanager-style tree with grouping.
//!
//! `route_only`: matching the tree (`Router::receivers_for`).
//! `ingest_and_flush`: routing, grouping by `job`, inhibition checks and delivery to in-memory
//! sinks, for a batch of 1,000 alerts over 200 jobs and 60 teams.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use streampark::alerts::{MemorySink, Router, RouterConfig, VirtualClock};
use streampark::{Alert, Severity};

const ROUTES: usize = 50;
const BATCH: usize = 1_000;

fn config() -> String {
    let mut y = String::from(
        "route:\n  receiver: default\n  group_by: [job]\n  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 4h\n  routes:\n",
    );
    for i in 0..ROUTES {
        let m = match i % 5 {
            0 => format!("['team=\"team{i}\"', 'severity=\"critical\"']"),
            1 => format!("['team=\"team{i}\"', 'severity=~\"major|minor\"']"),
            2 => format!("['team=~\"team{i}|team{}\"']", i + 100),
            3 => format!("['team=\"team{i}\"', 'env!=\"staging\"']"),
            _ => format!("['cluster=\"c{}\"', 'team=\"team{i}\"']", i % 7),
        };
        let cont = if i % 10 == 0 {
            "\n      continue: true"
        } else {
            ""
        };
        y.push_str(&format!(
            "    - receiver: r{i}\n      matchers: {m}{cont}\n"
        ));
    }
    y.push_str("inhibit_rules:\n  - source_matchers: ['severity=\"critical\"']\n    target_matchers: ['severity=~\"minor|info\"']\n    equal: [job]\nreceivers:\n  - name: default\n");
    for i in 0..ROUTES {
        y.push_str(&format!("  - name: r{i}\n"));
    }
    y
}

fn alerts() -> Vec<Alert> {
    let sev = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Info,
    ];
    (0..BATCH)
        .map(|i| {
            Alert::new(sev[i % 4], format!("alert kind {}", i % 13))
                .with_job(format!("job{}", i % 200))
                .with_team(format!("team{}", i % 60))
                .with_label("cluster", format!("c{}", i % 7))
                .with_label("env", if i % 3 == 0 { "staging" } else { "prod" })
        })
        .collect()
}

fn router() -> (Router, Vec<MemorySink>) {
    let cfg = RouterConfig::from_yaml_str(&config()).expect("bench config");
    let mut sinks = Vec::new();
    let mut b = Router::builder(cfg).with_clock(Arc::new(VirtualClock::new()));
    for name in std::iter::once("default".to_string()).chain((0..ROUTES).map(|i| format!("r{i}"))) {
        let s = MemorySink::new();
        sinks.push(s.clone());
        b = b.with_receiver_sink(name, s);
    }
    (b.build().expect("bench router"), sinks)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let batch = alerts();
    let mut g = c.benchmark_group("alert_routing");
    g.throughput(Throughput::Elements(BATCH as u64));

    let (r, _) = router();
    g.bench_function("route_only_50_routes", |b| {
        b.iter(|| {
            for a in &batch {
                black_box(r.receivers_for(a));
            }
        })
    });

    g.bench_function("ingest_and_flush_50_routes_group_by_job", |b| {
        b.iter_batched(
            router,
            |(r, sinks)| {
                for a in &batch {
                    r.ingest(a.clone());
                }
                let d = rt.block_on(r.flush_all());
                black_box(d.len());
                black_box(sinks.iter().map(MemorySink::len).sum::<usize>())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
