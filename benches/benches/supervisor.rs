//! Supervisor scale: 10,000 jobs over 10 simulated clusters.
//!
//! Prints, before the criterion runs:
//! - backend calls per tick (one `list` per cluster: grows with clusters, not jobs) and the
//!   request count of StreamPark's per-job polling for the same fleet (one request per job
//!   per poll);
//! - resident memory per supervised job (upper bound: includes the simulators and the
//!   `MemoryStore`);
//! - time from a job failing to its restart being decided: the tick that sees the failure
//!   decides it (latency = time to the next tick + that tick's CPU time, measured here).
//!
//! Criterion: `supervisor_tick_10000_jobs_10_clusters`, the CPU time of one steady-state tick.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use streampark::store::MemoryStore;
use streampark::supervisor::{JobEventKind, Supervisor};
use streampark::testkit::{FaultPlan, SimDeployer, VirtualClock};
use streampark::{JobId, JobSpec};

const CLUSTERS: usize = 10;
const JOBS: usize = 10_000;

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

struct Fleet {
    clock: VirtualClock,
    sims: Vec<SimDeployer>,
    sup: Supervisor,
}

async fn fleet() -> Fleet {
    let clock = VirtualClock::manual();
    let sims: Vec<SimDeployer> = (0..CLUSTERS)
        .map(|_| SimDeployer::builder().with_clock(clock.clone()).build())
        .collect();
    let mut b = Supervisor::builder(Arc::new(MemoryStore::new()))
        .with_parallelism(64)
        .with_reload_every(u64::MAX);
    for (i, s) in sims.iter().enumerate() {
        b = b.with_cluster(format!("c{i}"), Arc::new(s.clone()));
    }
    let c = clock.clone();
    let sup = b.with_clock(move || c.now_ms()).build().unwrap();
    for i in 0..JOBS {
        let spec = JobSpec::sql(&format!("team{}-job{i}", i % 50), "INSERT INTO k SELECT 1")
            .unwrap()
            .with_label("streampark.cluster", format!("c{}", i % CLUSTERS));
        sup.manage(spec).await.unwrap();
    }
    sup.tick().await.unwrap(); // deploys everything
    clock.advance(Duration::from_secs(5));
    sup.tick().await.unwrap(); // sees everything running
    Fleet { clock, sims, sup }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let before = rss_bytes();
    let f = rt.block_on(fleet());
    let after = rss_bytes();

    // Backend calls per steady-state tick.
    let lists0: u64 = f.sims.iter().map(|s| s.stats().lists).sum();
    let others0: u64 = f
        .sims
        .iter()
        .map(|s| s.stats().inspects + s.stats().deploys)
        .sum();
    let ticks = 20u64;
    let start = Instant::now();
    for _ in 0..ticks {
        f.clock.advance(Duration::from_secs(1));
        rt.block_on(f.sup.tick()).unwrap();
    }
    let per_tick = start.elapsed() / u32::try_from(ticks).unwrap();
    let lists = f.sims.iter().map(|s| s.stats().lists).sum::<u64>() - lists0;
    let others = f
        .sims
        .iter()
        .map(|s| s.stats().inspects + s.stats().deploys)
        .sum::<u64>()
        - others0;
    println!("supervisor: {JOBS} jobs on {CLUSTERS} clusters");
    println!(
        "  backend calls per tick: {} list + {} other (StreamPark per-job polling: {JOBS} requests per poll)",
        lists / ticks,
        others / ticks
    );
    println!("  wall time per steady-state tick: {per_tick:?}");
    if let (Some(b), Some(a)) = (before, after) {
        println!(
            "  resident memory per job: {} bytes (upper bound incl. simulators and MemoryStore)",
            a.saturating_sub(b) / JOBS as u64
        );
    }

    // Failure -> restart decided.
    let mut rx = f.sup.subscribe();
    let mut lat = Vec::new();
    for k in 0..20 {
        let job = JobId::new(format!("team{}-job{}", (k * 37) % 50, k * 37)).unwrap();
        let sim = &f.sims[(k * 37) % CLUSTERS];
        sim.inject(FaultPlan::new().job_fails_at(&job, f.clock.elapsed(), "bench failure"));
        f.clock.advance(Duration::from_millis(10));
        let t = Instant::now();
        rt.block_on(f.sup.tick()).unwrap();
        let took = t.elapsed();
        let mut decided = false;
        while let Ok(e) = rx.try_recv() {
            if e.job == job && matches!(e.kind, JobEventKind::RestartScheduled { .. }) {
                decided = true;
            }
        }
        assert!(decided, "the tick that saw the failure decided the restart");
        lat.push(took);
    }
    lat.sort();
    println!(
        "  failure seen -> restart decided: median {:?}, max {:?} (tick CPU; add up to one tick interval)",
        lat[lat.len() / 2],
        lat[lat.len() - 1]
    );

    c.bench_function("supervisor_tick_10000_jobs_10_clusters", |b| {
        b.iter(|| {
            f.clock.advance(Duration::from_secs(1));
            rt.block_on(f.sup.tick()).unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(10));
    targets = bench
}
criterion_main!(benches);
