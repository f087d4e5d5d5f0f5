//! Deploy a Flink SQL job through the Flink Kubernetes Operator and follow it.
//!
//! ```text
//! cargo run --example k8s_deploy -- --sql job.sql --name orders --namespace flink \
//!     [--flink-version 1.20] [--image flink:1.20] [--attempt 1] [--dry-run]
//! ```
//!
//! Uses the current kubeconfig (`KUBECONFIG`, `~/.kube/config`, or the in-cluster service
//! account). The job becomes one `FlinkDeployment` (plus a `ConfigMap` holding the script and the
//! SDK's SQL runner jar), labelled with the job id and attempt. Then it prints the resource's
//! Kubernetes events and every state change until the job ends or Ctrl-C (which leaves the job
//! running).
//!
//! `--dry-run` prints the resources it would apply as a YAML stream (`---` separated) and
//! contacts nothing.

use std::time::Duration;

use futures::StreamExt;
use kube::runtime::WatchStreamExt;
use streampark::JobSpec;
use streampark::deploy::{DeployRequest, Deployer, DeployerExt};
use streampark::k8s::OperatorDeployer;

const USAGE: &str = "usage: k8s_deploy --sql FILE --name NAME --namespace NS [--flink-version V] [--image IMG] [--attempt N] [--dry-run]";

struct Args {
    sql: String,
    name: String,
    namespace: String,
    flink_version: Option<String>,
    image: Option<String>,
    attempt: u64,
    dry_run: bool,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut sql, mut name, mut namespace, mut flink_version, mut image) =
        (None, None, None, None, None);
    let (mut attempt, mut dry_run) = (1, false);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--sql" => sql = Some(value()?),
            "--name" => name = Some(value()?),
            "--namespace" => namespace = Some(value()?),
            "--flink-version" => flink_version = Some(value()?),
            "--image" => image = Some(value()?),
            "--attempt" => {
                attempt = value()?
                    .parse()
                    .map_err(|_| format!("--attempt needs a number\n{USAGE}"))?
            }
            "--dry-run" => dry_run = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let missing = |what: &str| format!("{what} is required\n{USAGE}");
    Ok(Args {
        sql: sql.ok_or_else(|| missing("--sql"))?,
        name: name.ok_or_else(|| missing("--name"))?,
        namespace: namespace.ok_or_else(|| missing("--namespace"))?,
        flink_version,
        image,
        attempt,
        dry_run,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let script =
        std::fs::read_to_string(&args.sql).map_err(|e| format!("cannot read {}: {e}", args.sql))?;
    let spec = JobSpec::sql(&args.name, script)?.with_name(args.name.clone());
    let request = DeployRequest::new(spec, args.attempt);
    let mut builder = OperatorDeployer::builder().with_namespace(&args.namespace);
    if let Some(v) = &args.flink_version {
        builder = builder.with_flink_version(v);
    }
    if let Some(i) = &args.image {
        builder = builder.with_image(i);
    }

    if args.dry_run {
        print!("{}", builder.dry_run(&request)?.to_yaml_stream()?);
        return Ok(());
    }

    tracing_subscriber::fmt().with_env_filter("info").init();
    let client = kube::Client::try_default().await?;
    let deployer = builder.with_kube_client(client.clone()).build()?;
    let deployment = deployer.deploy(request).await?;
    println!(
        "deployed {} (job {}, attempt {})",
        deployment.id, deployment.job, deployment.attempt
    );

    // Kubernetes events of the resource, as `kubectl describe` shows them.
    let events: kube::Api<k8s_openapi::api::core::v1::Event> =
        kube::Api::namespaced(client, &args.namespace);
    let cfg = kube::runtime::watcher::Config::default()
        .fields(&format!("involvedObject.name={}", deployment.id));
    let mut event_stream = kube::runtime::watcher(events, cfg)
        .applied_objects()
        .boxed();
    let mut last_state = None;
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                println!("stopped following; the job keeps running");
                return Ok(());
            }
            ev = event_stream.next() => match ev {
                Some(Ok(e)) => println!("event {}: {}", e.reason.unwrap_or_default(), e.message.unwrap_or_default()),
                Some(Err(e)) => eprintln!("event watch: {e}"),
                None => {}
            },
            _ = tick.tick() => {
                // `status` reads the deployer's watch cache: no extra API calls.
                if let Some(s) = deployer.status(&deployment.id).await? {
                    let shown = (s.state, s.reason.clone());
                    if last_state.as_ref() != Some(&shown) {
                        println!("state {}{}", s.state, s.reason.map(|r| format!(": {r}")).unwrap_or_default());
                        last_state = Some(shown);
                    }
                    if s.state.is_terminal() {
                        return Ok(());
                    }
                }
            }
        }
    }
}
