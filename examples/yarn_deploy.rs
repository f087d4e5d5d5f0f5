//! Deploy a Flink SQL or jar job to YARN, watch it run, take a savepoint and stop it.
//!
//! ```text
//! yarn_deploy (--sql FILE | --jar FILE --class C)
//!             (--rm URL... | --hadoop-conf DIR) --flink-home PATH [--flink-conf DIR]
//!             [--queue Q] [--workspace /streampark] [--webhdfs URL] [--default-fs hdfs://nn:8020]
//!             [--user NAME] [--job ID]
//! yarn_deploy --sim [--sql FILE | --jar FILE --class C]     # embedded simulated YARN, no Java
//! ```
//!
//! Real clusters go through the Flink CLI of `--flink-home` (`CliSubmitter`); with a WebHDFS
//! address (from the Hadoop conf or `--webhdfs`) the home's lib/ and plugins/ are synced to
//! `<workspace>/flink/<version>` first. `--sim` needs nothing and runs in CI.

use std::sync::Arc;
use std::time::Duration;

use streampark::flink_home::DetectOptions;
use streampark::yarn::conf::HadoopConf;
use streampark::yarn::testkit::{SimSubmitter, SimYarn};
use streampark::yarn::{CliSubmitter, YarnDeployer};
use streampark::{
    DeployRequest, Deployer, DeployerExt, FlinkCli, FlinkHome, JobSpec, JobState, SavepointOptions,
    StopOptions,
};

#[derive(Debug, Default)]
struct Args {
    sim: bool,
    sql: Option<String>,
    jar: Option<String>,
    class: Option<String>,
    rms: Vec<String>,
    hadoop_conf: Option<String>,
    flink_home: Option<String>,
    flink_conf: Option<String>,
    queue: Option<String>,
    workspace: Option<String>,
    webhdfs: Option<String>,
    default_fs: Option<String>,
    user: Option<String>,
    job: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--sim" => a.sim = true,
            "--sql" => a.sql = Some(val("--sql")?),
            "--jar" => a.jar = Some(val("--jar")?),
            "--class" => a.class = Some(val("--class")?),
            "--rm" => a.rms.push(val("--rm")?),
            "--hadoop-conf" => a.hadoop_conf = Some(val("--hadoop-conf")?),
            "--flink-home" => a.flink_home = Some(val("--flink-home")?),
            "--flink-conf" => a.flink_conf = Some(val("--flink-conf")?),
            "--queue" => a.queue = Some(val("--queue")?),
            "--workspace" => a.workspace = Some(val("--workspace")?),
            "--webhdfs" => a.webhdfs = Some(val("--webhdfs")?),
            "--default-fs" => a.default_fs = Some(val("--default-fs")?),
            "--user" => a.user = Some(val("--user")?),
            "--job" => a.job = Some(val("--job")?),
            "-h" | "--help" => {
                return Err("usage: see the header of examples/yarn_deploy.rs".into());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.jar.is_some() != a.class.is_some() && a.jar.is_some() {
        return Err("--jar needs --class".into());
    }
    Ok(a)
}

const DEMO_SQL: &str = "CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n\
CREATE TABLE snk (id BIGINT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT id FROM src;\n";

fn spec(a: &Args) -> Result<JobSpec, Box<dyn std::error::Error>> {
    let id = a.job.clone().unwrap_or_else(|| "yarn-demo".into());
    Ok(match (&a.sql, &a.jar) {
        (_, Some(jar)) => JobSpec::jar(&id, jar, a.class.as_deref(), vec![])?,
        (Some(file), None) => JobSpec::sql(&id, &std::fs::read_to_string(file)?)?,
        (None, None) => JobSpec::sql(&id, DEMO_SQL)?,
    })
}

async fn run(yarn: YarnDeployer, spec: JobSpec) -> Result<(), Box<dyn std::error::Error>> {
    let dep = yarn.deploy(DeployRequest::new(spec, 1)).await?;
    println!(
        "deployed {} (tracking {})",
        dep.id,
        dep.web_url.as_deref().unwrap_or("-")
    );
    let s = yarn
        .wait_for(&dep.id, &[JobState::Running], Duration::from_secs(300))
        .await?;
    println!("state: {} ({})", s.state, s.name);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let d = yarn.inspect(&dep.id).await?;
    println!(
        "checkpoints completed: {}, latest: {:?}",
        d.checkpoints_completed,
        d.latest_checkpoint.map(|c| c.path)
    );
    let sp = yarn.savepoint(&dep.id, SavepointOptions::default()).await?;
    println!("savepoint: {}", sp.path);
    let out = yarn
        .stop(&dep.id, StopOptions::savepoint_default_dir())
        .await?;
    println!("stopped: {out:?}");
    let end = yarn.status(&dep.id).await?.map(|s| s.state);
    println!("final state: {end:?}");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let spec = spec(&args)?;
    if args.sim {
        let sim = SimYarn::start().await?;
        println!(
            "simulated YARN: RMs {:?}, WebHDFS {}",
            sim.rm_urls().iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            sim.webhdfs_url()
        );
        let yarn = YarnDeployer::builder()
            .with_rm_urls(sim.rm_urls())
            .with_user(args.user.clone().unwrap_or_else(|| "flink".into()))
            .with_queue(args.queue.clone().unwrap_or_else(|| "default".into()))
            .with_webhdfs_url(sim.webhdfs_url())
            .with_default_fs("hdfs://sim-nn:8020")
            .with_workspace(
                args.workspace
                    .clone()
                    .unwrap_or_else(|| "/streampark".into()),
            )
            .with_submitter(Arc::new(SimSubmitter::new(sim.clone())))
            .with_poll_interval(Duration::from_millis(100))
            .build()?;
        run(yarn, spec).await?;
        println!(
            "files in the simulated HDFS: {:?}",
            sim.files().keys().collect::<Vec<_>>()
        );
        return Ok(());
    }
    real(args, spec).await
}

async fn real(a: Args, spec: JobSpec) -> Result<(), Box<dyn std::error::Error>> {
    let home = a
        .flink_home
        .as_deref()
        .ok_or("--flink-home PATH is required (or --sim)")?;
    // A Cloudera parcel has no conf/ beside lib/: --flink-conf names the directory to use.
    let home = match &a.flink_conf {
        Some(dir) => FlinkHome::detect_with(home, &DetectOptions::from_env().with_conf_dir(dir))?,
        None => FlinkHome::detect(home)?,
    };
    let mut builder = match &a.hadoop_conf {
        Some(dir) => YarnDeployer::from_hadoop_conf(&HadoopConf::load(dir)?)?,
        None if !a.rms.is_empty() => YarnDeployer::builder(),
        None => YarnDeployer::from_hadoop_conf(&HadoopConf::discover()?)?,
    };
    if !a.rms.is_empty() {
        let urls = a
            .rms
            .iter()
            .map(|u| u.parse())
            .collect::<Result<Vec<url::Url>, _>>()?;
        builder = builder.with_rm_urls(urls);
    }
    if let Some(u) = &a.webhdfs {
        builder = builder.with_webhdfs_url(u.parse()?);
    }
    if let Some(fs) = &a.default_fs {
        builder = builder.with_default_fs(fs.clone());
    }
    if let Some(q) = &a.queue {
        builder = builder.with_queue(q.clone());
    }
    let user = a
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "flink".into());
    let mut cli = FlinkCli::new(home.clone()).with_timeout(Duration::from_secs(300));
    if let Some(dir) = &a.hadoop_conf {
        cli = cli.with_env("HADOOP_CONF_DIR", dir.clone());
    }
    let yarn = builder
        .with_user(user)
        .with_workspace(a.workspace.clone().unwrap_or_else(|| "/streampark".into()))
        .with_flink_version(home.version().to_string())
        .with_submitter(Arc::new(CliSubmitter::new(cli)))
        .build()?;
    if yarn.webhdfs().is_some() {
        let report = yarn.sync_workspace(&home, false).await?;
        println!(
            "workspace {}: uploaded {} {:?}, differ {:?}, extra {}, unchanged {}",
            report.root,
            report.uploaded.len(),
            report.uploaded.iter().take(20).collect::<Vec<_>>(),
            report.differ,
            report.extra.len(),
            report.unchanged
        );
    }
    run(yarn, spec).await
}
