//! Publish-to-event latency of a Nacos watch on loopback, timed in process: 100 publishes
//! through `NacosSource::publish`, each timed until the watch delivers the
//! `ConfigEvent::Changed` carrying that very content. Snapshot cache on, v1 long-polling
//! listener with its default hold time (30 s), short request timeout.
//!
//! Servers: the core simulator (`SimApi::V2`, v1 long polling) always; a real server when
//! `NACOS_URL` is set (`NACOS_USERNAME`/`NACOS_PASSWORD` when auth is on, `NACOS_SERVER` a
//! label: `rnacos` or `nacos`), e.g. `eval "$(scripts/nacos-local env)"`.
//!
//! One line per server on stdout (median, p90 and worst in ms, outage events seen), and
//! the same as JSON lines appended to the file named by `NACOS_LATENCY_OUT` when set. The
//! goal (worst under 100 ms) is reported, not asserted. Each publish waits at most 10 s: a
//! server that never delivers ends the bench with an error and a non-zero exit status.
#![allow(missing_docs)]

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use streampark::config::nacos_sim::{NacosSim, SimApi};
use streampark::config::{
    ConfigEvent, ConfigFormat, ConfigKey, ConfigSource, ConfigStream, NacosSource,
};

const PUBLISHES: usize = 100;
const GOAL: Duration = Duration::from_millis(100);
const PUBLISH_WAIT: Duration = Duration::from_secs(10);
const FIRST_EVENT_WAIT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// One server to measure.
struct Target {
    label: String,
    url: String,
    credentials: Option<(String, String)>,
}

/// What one server measured.
struct Report {
    server: String,
    auth: bool,
    samples: Vec<Duration>,
    outages: u64,
    other_events: u64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Report {
    fn sorted(&self) -> Vec<Duration> {
        let mut s = self.samples.clone();
        s.sort();
        s
    }

    /// Middle value (mean of the two middle ones for an even count).
    fn median(&self) -> Duration {
        let s = self.sorted();
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2
        }
    }

    /// Nearest-rank 90th percentile.
    fn p90(&self) -> Duration {
        let s = self.sorted();
        let rank = (s.len() * 9).div_ceil(10).max(1);
        s[rank - 1]
    }

    fn worst(&self) -> Duration {
        self.samples.iter().copied().max().unwrap_or_default()
    }

    fn goal_met(&self) -> bool {
        self.worst() < GOAL
    }

    fn line(&self) -> String {
        format!(
            "nacos_latency server={} auth={} publishes={} median_ms={:.2} p90_ms={:.2} \
             worst_ms={:.2} outages={} other_events={} goal(<100ms worst)={}",
            self.server,
            if self.auth { "on" } else { "off" },
            self.samples.len(),
            ms(self.median()),
            ms(self.p90()),
            ms(self.worst()),
            self.outages,
            self.other_events,
            if self.goal_met() { "met" } else { "missed" },
        )
    }

    fn json(&self) -> serde_json::Value {
        let round = |d: Duration| (ms(d) * 1000.0).round() / 1000.0;
        serde_json::json!({
            "bench": "nacos_latency",
            "server": self.server,
            "auth": self.auth,
            "publishes": self.samples.len(),
            "median_ms": round(self.median()),
            "p90_ms": round(self.p90()),
            "worst_ms": round(self.worst()),
            "outages": self.outages,
            "other_events": self.other_events,
            "goal_ms": ms(GOAL),
            "goal_met": self.goal_met(),
        })
    }
}

/// Waits for the `Changed` event carrying `content`; counts outages and other events on the
/// way. `Err` when the watch ends or nothing arrives within `wait`.
async fn wait_for(
    events: &mut ConfigStream,
    content: &str,
    wait: Duration,
    outages: &mut u64,
    other: &mut u64,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, events.next()).await {
            Err(_) => {
                return Err(format!(
                    "no event with the published content within {} s",
                    wait.as_secs()
                ));
            }
            Ok(None) => return Err("the watch ended".into()),
            Ok(Some(ConfigEvent::Changed(doc))) if doc.content() == content => return Ok(()),
            Ok(Some(ConfigEvent::Unavailable { .. })) => *outages += 1,
            Ok(Some(_)) => *other += 1,
        }
    }
}

async fn measure(target: &Target, run: &str) -> Result<Report, String> {
    let cache = tempfile::tempdir().map_err(|e| format!("cache dir: {e}"))?;
    let mut builder = NacosSource::builder()
        .with_server(target.url.clone())
        .with_cache_dir(cache.path())
        .with_request_timeout(REQUEST_TIMEOUT);
    if let Some((user, password)) = &target.credentials {
        builder = builder.with_credentials(user.clone(), password.clone());
    }
    let source = builder.build().map_err(|e| format!("source: {e}"))?;
    let key = ConfigKey::new(format!("sp-bench-latency-{run}.yaml"));

    let result = async {
        let first = format!("run: {run}\nn: 0\n");
        source
            .publish(&key, &first, ConfigFormat::Yaml)
            .await
            .map_err(|e| format!("first publish: {e}"))?;
        let mut events = source
            .watch(&key)
            .await
            .map_err(|e| format!("watch: {e}"))?;
        let (mut outages, mut other) = (0u64, 0u64);
        wait_for(
            &mut events,
            &first,
            FIRST_EVENT_WAIT,
            &mut outages,
            &mut other,
        )
        .await
        .map_err(|e| format!("first event: {e}"))?;

        let mut samples = Vec::with_capacity(PUBLISHES);
        for n in 1..=PUBLISHES {
            let content = format!("run: {run}\nn: {n}\n");
            let start = Instant::now();
            let published = tokio::time::timeout(
                PUBLISH_WAIT,
                source.publish(&key, &content, ConfigFormat::Yaml),
            )
            .await;
            match published {
                Err(_) => return Err(format!("publish {n}: no answer within 10 s")),
                Ok(Err(e)) => return Err(format!("publish {n}: {e}")),
                Ok(Ok(())) => {}
            }
            let left = PUBLISH_WAIT.saturating_sub(start.elapsed());
            wait_for(&mut events, &content, left, &mut outages, &mut other)
                .await
                .map_err(|e| format!("publish {n}: {e}"))?;
            samples.push(start.elapsed());
        }
        Ok(Report {
            server: target.label.clone(),
            auth: target.credentials.is_some(),
            samples,
            outages,
            other_events: other,
        })
    }
    .await;
    // Best effort: leave no bench document behind on a real server.
    let _ = source.delete(&key).await;
    result
}

fn write_json(reports: &[Report]) -> Result<(), String> {
    let Ok(path) = std::env::var("NACOS_LATENCY_OUT") else {
        return Ok(());
    };
    if path.is_empty() {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("{path}: {e}"))?;
    for r in reports {
        writeln!(f, "{}", r.json()).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() -> ExitCode {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let run = format!("{}-{stamp}", std::process::id());

    let mut reports = Vec::new();
    let mut failed = false;

    let sim = match rt.block_on(NacosSim::builder().with_api(SimApi::V2).start()) {
        Ok(sim) => Some(sim),
        Err(e) => {
            eprintln!("nacos_latency server=sim error: starting the simulator: {e}");
            failed = true;
            None
        }
    };
    let mut targets = Vec::new();
    if let Some(sim) = &sim {
        targets.push(Target {
            label: "sim".into(),
            url: sim.url(),
            credentials: None,
        });
    }
    if let Some(url) = env("NACOS_URL") {
        let credentials = match (env("NACOS_USERNAME"), env("NACOS_PASSWORD")) {
            (Some(u), Some(p)) => Some((u, p)),
            _ => None,
        };
        targets.push(Target {
            label: env("NACOS_SERVER").unwrap_or_else(|| "nacos".into()),
            url,
            credentials,
        });
    }

    for target in &targets {
        match rt.block_on(measure(target, &run)) {
            Ok(report) => {
                println!("{}", report.line());
                reports.push(report);
            }
            Err(e) => {
                eprintln!(
                    "nacos_latency server={} auth={} error: {e}",
                    target.label,
                    if target.credentials.is_some() {
                        "on"
                    } else {
                        "off"
                    }
                );
                failed = true;
            }
        }
    }
    if let Err(e) = write_json(&reports) {
        eprintln!("nacos_latency: writing NACOS_LATENCY_OUT: {e}");
        failed = true;
    }
    drop(sim);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
