//! Watcher scale: the cost of one `list` tick over a fleet of 3,000 jobs.
//!
//! - `flink_overview_decode_3000`: decode a `/jobs/overview` answer of 3,000 jobs and parse
//!   every tag, the CPU side of one `RemoteDeployer::list` per cluster per tick;
//! - `sim_list_3000`: `SimDeployer::list` over 3,000 live deployments.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streampark::deploy::tag;
use streampark::flink::JobOverview;
use streampark::testkit::{SimDeployer, VirtualClock};
use streampark::{DeployRequest, Deployer, JobId, JobSpec, Selector};

const FLEET: u64 = 3_000;

fn overview_json() -> String {
    let jobs: Vec<String> = (0..FLEET)
        .map(|i| {
            let job = JobId::new(format!("team{}-job{i}", i % 40)).unwrap();
            format!(
                r#"{{"jid":"{}","name":"{}","jobType":"STREAMING","state":"RUNNING","start-time":1,"end-time":-1,"duration":5,"last-modification":2,"tasks":{{"running":4,"total":4}}}}"#,
                tag::flink_job_id(&job, 1),
                tag::job_name(&job, 1, &format!("Job number {i}"))
            )
        })
        .collect();
    format!(r#"{{"jobs":[{}]}}"#, jobs.join(","))
}

#[derive(serde::Deserialize)]
struct Overview {
    jobs: Vec<JobOverview>,
}

fn bench(c: &mut Criterion) {
    let json = overview_json();
    c.bench_function("flink_overview_decode_3000", |b| {
        b.iter(|| {
            let o: Overview = serde_json::from_str(black_box(&json)).unwrap();
            let tagged = o
                .jobs
                .iter()
                .filter_map(|j| tag::parse_job_name(&j.name))
                .count();
            assert_eq!(tagged as u64, FLEET);
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let sim = SimDeployer::builder()
        .with_clock(VirtualClock::manual())
        .build();
    rt.block_on(async {
        for i in 0..FLEET {
            let spec = JobSpec::sql(&format!("job{i}"), "INSERT INTO k SELECT 1").unwrap();
            sim.deploy(DeployRequest::new(spec, 1)).await.unwrap();
        }
    });
    c.bench_function("sim_list_3000", |b| {
        b.iter(|| {
            let v = rt.block_on(sim.list(&Selector::All)).unwrap();
            assert_eq!(v.len() as u64, FLEET);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
