//! The YARN environment doctor: examines Flink home(s) and a Hadoop client configuration and
//! prints every problem with a code, a message and a fix.
//!
//! ```text
//! cargo run --example yarn_doctor -- [--flink-home PATH]… [--hadoop-conf DIR] \
//!     [--flink-conf DIR] [--workspace /streampark] [--queue Q] [--user NAME] [--static] [--json]
//! ```
//!
//! - `--flink-home` may repeat; the first is the default home (`"flink"` in the JSON), all of
//!   them are in `"flink_homes"`. Without it, `FLINK_HOME` is used.
//! - `--hadoop-conf` skips discovery (`HADOOP_CONF_DIR`, `YARN_CONF_DIR`,
//!   `$HADOOP_HOME/etc/hadoop`, `/etc/hadoop/conf`, `/etc/hadoop/conf.cloudera.yarn`).
//! - `--flink-conf` is the Flink configuration directory to use instead of each home's own
//!   (a Cloudera parcel has none beside `lib/`).
//! - `--queue` checks in the active RM's scheduler that the queue exists, is a leaf and runs.
//! - `--workspace` also compares `<workspace>/flink/<version>/{lib,plugins}` in HDFS.
//! - `--static` skips the network probes (ResourceManagers, WebHDFS).
//! - `--json` prints `{"flink": {"home", "version", "vendor", "scala", "conf_dir"},
//!   "flink_homes": […], "hadoop": {"conf_dir", "resource_managers": [URL…], "default_fs"},
//!   "problems": [{"code", "message", "fix"}]}`.
//!
//! Exit code: 0 when no problem has error severity, 1 when one does, 2 for bad arguments.

use std::process::ExitCode;

use streampark::flink_home::DetectOptions;
use streampark::yarn::doctor::{Doctor, Severity};

const USAGE: &str = "usage: yarn_doctor [--flink-home PATH]... [--hadoop-conf DIR] [--flink-conf DIR] [--workspace PATH] [--queue Q] [--user NAME] [--static] [--json]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut doctor = Doctor::new();
    let (mut json, mut live) = (false, true);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| match args.next() {
            Some(v) => Ok(v),
            None => Err(format!("{name} needs a value")),
        };
        let step = match a.as_str() {
            "--flink-home" => value("--flink-home").map(|v| doctor.clone().with_flink_home(v)),
            "--hadoop-conf" => {
                value("--hadoop-conf").map(|v| doctor.clone().with_hadoop_conf_dir(v))
            }
            "--workspace" => value("--workspace").map(|v| doctor.clone().with_workspace(v)),
            "--queue" => value("--queue").map(|v| doctor.clone().with_queue(v)),
            "--flink-conf" => value("--flink-conf").map(|v| {
                doctor
                    .clone()
                    .with_flink_detect_options(DetectOptions::from_env().with_conf_dir(v))
            }),
            "--user" => value("--user").map(|v| doctor.clone().with_user(v)),
            "--json" => {
                json = true;
                Ok(doctor.clone())
            }
            "--static" => {
                live = false;
                Ok(doctor.clone())
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument `{other}`")),
        };
        match step {
            Ok(d) => doctor = d,
            Err(e) => {
                eprintln!("yarn_doctor: {e}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let report = if live {
        doctor.diagnose().await
    } else {
        doctor.diagnose_static()
    };
    if json {
        match serde_json::to_string_pretty(&report.to_json()) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("yarn_doctor: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        for h in report.flink_homes() {
            println!(
                "Flink {} (scala {}) at {}, conf {}",
                h.version(),
                h.scala_version().unwrap_or("-"),
                h.home().display(),
                h.conf_dir().display()
            );
        }
        if let Some(c) = report.hadoop() {
            println!("Hadoop conf {}", c.conf_dir().display());
            for u in c.resource_manager_urls() {
                println!("  ResourceManager {u}");
            }
            println!("  fs.defaultFS {}", c.default_fs().unwrap_or("(unset)"));
        }
        if report.problems().is_empty() {
            println!("no problems found");
        }
        for p in report.problems() {
            let sev = match p.severity {
                Severity::Error => "ERROR",
                Severity::Warning => "WARN ",
                _ => "INFO ",
            };
            println!("{sev} {}: {}\n      fix: {}", p.code, p.message, p.fix);
        }
    }
    if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
