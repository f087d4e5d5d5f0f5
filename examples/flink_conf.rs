//! Flink configuration keys by release, and `flink-conf.yaml` <-> `config.yaml` conversion.
//!
//! ```text
//! cargo run --example flink_conf -- check FILE --from 1.14 --to 2.3          # findings, exit 1 if a key is ignored by --to
//! cargo run --example flink_conf -- check FILE --from 1.14 --to 2.3 --json   # the same as JSON
//! cargo run --example flink_conf -- convert FILE --to 2.3                    # flink-conf.yaml -> config.yaml (keys renamed for 2.3)
//! cargo run --example flink_conf -- convert FILE --to 1.14                   # config.yaml -> flink-conf.yaml (keys renamed for 1.14)
//! ```
//! A FILE whose name starts or ends with `flink-conf` (`flink-conf.yaml`,
//! `flink-conf-1.14.6.yaml`) is read with Flink's legacy line rules, anything else as standard
//! YAML. `convert` writes a `config.yaml` for `--to` 2.x (and 1.19+), a
//! `flink-conf.yaml` for older releases; `--keep-keys` turns the key renaming off and
//! `--lenient` keeps lines Flink would skip as comments. Exit codes: 0 fine, 1 a key is removed
//! (ignored by `--to`), 2 usage or input errors.

use std::process::ExitCode;

use streampark::FlinkVersion;
use streampark::flink_home::keys::{self, ConvertOptions};

fn usage() -> ExitCode {
    eprintln!(
        "usage: flink_conf check FILE [--from V] [--to V] [--json]\n       flink_conf convert FILE --to V [--keep-keys] [--lenient]"
    );
    ExitCode::from(2)
}

/// Whether `path` is a legacy `flink-conf.yaml` by name.
fn is_legacy(path: &str) -> bool {
    let name = std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name == "flink-conf.yaml" || name.ends_with("flink-conf.yaml") || name.starts_with("flink-conf")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(file)) = (args.first(), args.get(1)) else {
        return usage();
    };
    let mut from: FlinkVersion = FlinkVersion::new(1, 14, 0);
    let mut to: FlinkVersion = FlinkVersion::new(2, 3, 0);
    let (mut json, mut keep_keys, mut lenient) = (false, false, false);
    let mut i = 2;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => json = true,
            "--keep-keys" => keep_keys = true,
            "--lenient" => lenient = true,
            flag @ ("--from" | "--to") if i + 1 < args.len() => {
                let v = match args[i + 1].parse() {
                    Ok(v) => v,
                    Err(e) => {
                        eprintln!("error: {flag}: {e}");
                        return ExitCode::from(2);
                    }
                };
                if flag == "--from" {
                    from = v;
                } else {
                    to = v;
                }
                i += 1;
            }
            other => {
                eprintln!("error: unknown argument `{other}`");
                return usage();
            }
        }
        i += 1;
    }
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read `{file}`: {e}");
            return ExitCode::from(2);
        }
    };
    let legacy = is_legacy(file);
    match cmd.as_str() {
        "check" => {
            let flat = match keys::read_flat(
                &text,
                if legacy {
                    "flink-conf.yaml"
                } else {
                    "config.yaml"
                },
            ) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {file}: {e} [{}]", e.code());
                    return ExitCode::from(2);
                }
            };
            let findings = keys::check(flat.keys().map(String::as_str), &from, &to);
            let lost = findings.iter().any(|f| f.is_ignored_by_target());
            if json {
                let items: Vec<serde_json::Value> = findings
                    .iter()
                    .map(|f| {
                        let mut v = serde_json::to_value(f).unwrap_or_default();
                        v["code"] = f.code().into();
                        v
                    })
                    .collect();
                let report = serde_json::json!({
                    "file": file, "from": from.to_string(), "to": to.to_string(),
                    "legacy_file": legacy,
                    "legacy_file_ignored_by_target": legacy && to.major() >= 2,
                    "findings": items,
                });
                println!("{report:#}");
            } else {
                if legacy && to.major() >= 2 {
                    println!(
                        "FLINK_CONF_LEGACY_FILE: Flink {to} reads only config.yaml; convert this file (`flink_conf convert {file} --to {to}`)"
                    );
                }
                for f in &findings {
                    println!("{f}");
                }
                println!(
                    "{} key(s), {} finding(s), {} ignored by Flink {to}",
                    flat.len(),
                    findings.len(),
                    findings.iter().filter(|f| f.is_ignored_by_target()).count()
                );
            }
            if lost {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        "convert" => {
            let mut opts = ConvertOptions::new().lenient(lenient);
            if !keep_keys {
                opts = opts.rewrite_keys_for(to.clone());
            }
            // config.yaml from 1.19 on, flink-conf.yaml before.
            let to_yaml = (to.major(), to.minor()) >= (1, 19);
            let out = match (legacy, to_yaml) {
                (true, true) => keys::convert_flink_conf_to_config_yaml_with(&text, &opts),
                (false, false) => keys::convert_config_yaml_to_flink_conf_with(&text, &opts),
                (true, false) => {
                    // Same format: only rename keys, through a round trip.
                    keys::convert_flink_conf_to_config_yaml_with(&text, &opts)
                        .and_then(|y| keys::convert_config_yaml_to_flink_conf(&y))
                }
                (false, true) => keys::convert_config_yaml_to_flink_conf_with(&text, &opts)
                    .and_then(|l| keys::convert_flink_conf_to_config_yaml(&l)),
            };
            match out {
                Ok(o) => {
                    print!("{o}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {file}: {e} [{}]", e.code());
                    ExitCode::from(2)
                }
            }
        }
        _ => usage(),
    }
}
