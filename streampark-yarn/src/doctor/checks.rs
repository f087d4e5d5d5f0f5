//! Static checks: Flink homes, the Hadoop configuration, Kerberos ticket and keytab.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use streampark_core::FlinkHome;
use streampark_core::flink_home::{DetectOptions, FlinkHomeError};

use super::{Problem, Severity};
use crate::conf::{HadoopConf, HadoopConfError, HadoopConfOptions};

fn fix_for_home(e: &FlinkHomeError) -> &'static str {
    match e {
        FlinkHomeError::HomeMissing { .. } => {
            "point --flink-home at an unpacked Flink distribution (the directory holding bin/ and lib/)"
        }
        FlinkHomeError::NoDistJar { .. } => {
            "this is not a Flink home or it is incomplete: lib/ must hold flink-dist*.jar (for Cloudera parcels use <parcel>/lib/flink)"
        }
        FlinkHomeError::AmbiguousDist { .. } => {
            "keep exactly one flink-dist*.jar in lib/ (remove the leftover of an upgrade)"
        }
        FlinkHomeError::VersionUnparsed { .. } => {
            "rename the dist jar to flink-dist[_<scala>]-<version>.jar or restore its META-INF/MANIFEST.MF Implementation-Version"
        }
        FlinkHomeError::NoConfDir { .. } => {
            "set FLINK_CONF_DIR to the directory holding config.yaml (Flink 2.x) or flink-conf.yaml (Cloudera: /etc/flink/conf)"
        }
        _ => "check the permissions of the Flink home",
    }
}

pub(super) fn flink_home(
    path: &Path,
    options: &DetectOptions,
    env: &HadoopConfOptions,
    several: bool,
    problems: &mut Vec<Problem>,
    found: &mut Option<(streampark_core::FlinkVersion, Option<String>)>,
) -> Option<FlinkHome> {
    let at = if several {
        format!(" (Flink home {})", path.display())
    } else {
        String::new()
    };
    let home = match FlinkHome::detect_with(path, options) {
        Ok(h) => h,
        Err(e) => {
            // What was read before the error still counts (a Cloudera parcel's lib/flink has
            // a readable dist jar but no conf/ beside it).
            if let FlinkHomeError::NoConfDir { version, scala, .. } = &e {
                *found = Some((version.clone(), scala.clone()));
            }
            problems.push(Problem::new(
                e.code(),
                Severity::Error,
                e.to_string(),
                fix_for_home(&e),
            ));
            return None;
        }
    };
    let v = home.version();
    for c in home.conf_tried() {
        if c.origin == "FLINK_CONF_DIR"
            && c.outcome != "config.yaml"
            && c.outcome != "flink-conf.yaml"
        {
            problems.push(Problem::new(
                "FLINK_CONF_DIR_INVALID",
                Severity::Warning,
                format!(
                    "FLINK_CONF_DIR={} is {}; using {} instead{at}",
                    c.path.display(),
                    c.outcome,
                    home.conf_dir().display()
                ),
                "fix or unset FLINK_CONF_DIR",
            ));
        }
    }
    let file_name = home
        .config_file()
        .and_then(|f| f.file_name())
        .and_then(|n| n.to_str())
        .map(str::to_string);
    match file_name.as_deref() {
        None => problems.push(Problem::new(
            "FLINK_CONF_FILE_MISSING",
            Severity::Warning,
            format!(
                "{} holds neither config.yaml nor flink-conf.yaml{at}",
                home.conf_dir().display()
            ),
            "copy the configuration file of your Flink release into the conf dir",
        )),
        Some("flink-conf.yaml") if v.major() >= 2 => problems.push(Problem::new(
            "FLINK_CONF_LEGACY_FILE",
            Severity::Error,
            format!(
                "Flink {v} reads only config.yaml, but {} has only flink-conf.yaml{at}",
                home.conf_dir().display()
            ),
            "run bin/migrate-config-file.sh (Flink 1.19+) or write conf/config.yaml",
        )),
        Some("config.yaml") if v.minor_version() < (1, 19) => problems.push(Problem::new(
            "FLINK_CONF_YAML_UNSUPPORTED",
            Severity::Error,
            format!(
                "Flink {v} reads only flink-conf.yaml, but {} has config.yaml{at}",
                home.conf_dir().display()
            ),
            "name the file flink-conf.yaml (config.yaml exists from Flink 1.19 on)",
        )),
        _ => {}
    }
    if let Err(e) = home.read_config() {
        problems.push(Problem::new(
            "FLINK_CONFIG_MALFORMED",
            Severity::Error,
            format!("{e}{at}"),
            "fix the YAML syntax at the position shown",
        ));
    }
    if !is_executable(&home.flink_bin()) {
        problems.push(Problem::new(
            "FLINK_BIN_MISSING",
            Severity::Error,
            format!(
                "{} is missing or not executable{at}",
                home.flink_bin().display()
            ),
            "restore bin/flink from the distribution (YARN submission runs it)",
        ));
    }
    let hadoop_in_lib = home
        .lib()
        .iter()
        .any(|f| f.relative.contains("hadoop") && f.relative.ends_with(".jar"));
    if !hadoop_in_lib
        && env
            .env("HADOOP_CLASSPATH")
            .is_none_or(|s| s.trim().is_empty())
    {
        problems.push(Problem::new(
            "HADOOP_CLASSPATH_UNSET",
            Severity::Warning,
            format!("HADOOP_CLASSPATH is not set and lib/ has no Hadoop jar: the Flink CLI cannot reach YARN{at}"),
            "export HADOOP_CLASSPATH=$(hadoop classpath) for the process that runs the CLI",
        ));
    }
    Some(home)
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

pub(super) fn hadoop(
    dir: Option<&Path>,
    options: &HadoopConfOptions,
    problems: &mut Vec<Problem>,
) -> Option<HadoopConf> {
    let result = match dir {
        Some(d) => HadoopConf::load_with(d, options),
        None => HadoopConf::discover_with(options),
    };
    let conf = match result {
        Ok(c) => c,
        Err(e) => {
            let fix = match &e {
                HadoopConfError::NotFound { .. } => {
                    "export HADOOP_CONF_DIR=/etc/hadoop/conf (the directory holding core-site.xml and yarn-site.xml), or pass --hadoop-conf"
                }
                HadoopConfError::Xml { .. } => "fix the XML at the file and line shown",
                HadoopConfError::Include { .. } => {
                    "make the <xi:include> at the file and line shown name a readable local file (relative to the including file), give it an <xi:fallback>, or break the cycle"
                }
                HadoopConfError::Empty { .. } => {
                    "point HADOOP_CONF_DIR at the client configuration (core-site.xml, hdfs-site.xml, yarn-site.xml)"
                }
                HadoopConfError::TooLarge { .. } => {
                    "point HADOOP_CONF_DIR at the client configuration; a site file over 16 MiB is not a Hadoop client configuration"
                }
                _ => "check the file's permissions",
            };
            problems.push(Problem::new(e.code(), Severity::Error, e.to_string(), fix));
            return None;
        }
    };
    for c in conf.tried() {
        if c.origin == "HADOOP_CONF_DIR" && c.outcome != "used" && c.outcome != "unset" {
            problems.push(Problem::new(
                "HADOOP_CONF_DIR_INVALID",
                Severity::Warning,
                format!(
                    "HADOOP_CONF_DIR={} is {}; using {} instead",
                    c.path.as_deref().unwrap_or(Path::new("")).display(),
                    c.outcome,
                    conf.conf_dir().display()
                ),
                "fix or unset HADOOP_CONF_DIR (the Flink CLI uses it too)",
            ));
        }
    }
    if !conf.conf_dir().join("yarn-site.xml").is_file() {
        problems.push(Problem::new(
            "YARN_SITE_MISSING",
            Severity::Error,
            format!("{} has no yarn-site.xml", conf.conf_dir().display()),
            "deploy the YARN client configuration (Cloudera Manager: Deploy Client Configuration)",
        ));
    }
    for p in conf.problems() {
        problems.push(Problem::new(
            p.code(),
            Severity::Error,
            p.to_string(),
            "break the ${var} cycle in the file shown",
        ));
    }
    for (key, file) in conf.final_overrides() {
        problems.push(Problem::new(
            "HADOOP_FINAL_OVERRIDE",
            Severity::Info,
            format!(
                "{} tries to override final `{key}` (kept from {})",
                file.display(),
                conf.source_of(key).unwrap_or(Path::new("?")).display()
            ),
            "remove the override or the <final> mark",
        ));
    }
    let rms = conf.resource_managers();
    let usable = rms.iter().filter(|r| r.url.is_ok()).count();
    for r in &rms {
        if let Err(why) = &r.url {
            problems.push(Problem::new(
                "RM_ADDRESS_INVALID",
                if usable == 0 { Severity::Error } else { Severity::Warning },
                match &r.id {
                    Some(id) => format!("ResourceManager `{id}`: {why}"),
                    None => format!("ResourceManager: {why}"),
                },
                "set yarn.resourcemanager.webapp.address[.<rm-id>] (or .hostname[.<rm-id>]) in yarn-site.xml",
            ));
        }
    }
    // Two HA ids at one address: a copy-paste slip that leaves the pair without a second RM.
    let mut seen: Vec<(&url::Url, Option<&str>)> = Vec::new();
    for r in &rms {
        let Ok(u) = &r.url else { continue };
        match seen.iter().find(|(s, _)| *s == u) {
            Some((_, first)) => problems.push(Problem::new(
                "RM_ADDRESS_DUPLICATE",
                Severity::Warning,
                format!(
                    "ResourceManagers `{}` and `{}` both resolve to {u}",
                    first.unwrap_or("-"),
                    r.id.as_deref().unwrap_or("-")
                ),
                "give each id of yarn.resourcemanager.ha.rm-ids its own webapp address in yarn-site.xml",
            )),
            None => seen.push((u, r.id.as_deref())),
        }
    }
    match conf.default_fs() {
        None => problems.push(Problem::new(
            "HDFS_DEFAULT_FS_UNSET",
            Severity::Warning,
            format!("fs.defaultFS is not set in {}", conf.conf_dir().display()),
            "set fs.defaultFS in core-site.xml (hdfs://<nameservice or namenode>)",
        )),
        Some(fs) if fs.starts_with("file:") => problems.push(Problem::new(
            "HDFS_DEFAULT_FS_LOCAL",
            Severity::Warning,
            format!("fs.defaultFS is `{fs}`: YARN containers cannot read the client's local files"),
            "set fs.defaultFS to the cluster's HDFS",
        )),
        Some(_) => {}
    }
    if conf.default_fs().is_some_and(|fs| fs.starts_with("hdfs:")) && conf.webhdfs_url().is_none() {
        problems.push(Problem::new(
            "WEBHDFS_ADDRESS_UNKNOWN",
            Severity::Warning,
            "no NameNode HTTP address could be derived (dfs.namenode.http-address[.<ns>.<nn>])",
            "set dfs.namenode.http-address (or the HA variants) in hdfs-site.xml",
        ));
    }
    Some(conf)
}

/// The ticket cache file: `KRB5CCNAME` (`FILE:` prefix or a plain path), else `/tmp/krb5cc_<uid>`.
fn ticket_cache(env: &HadoopConfOptions) -> Option<PathBuf> {
    if let Some(v) = env.env("KRB5CCNAME").filter(|v| !v.trim().is_empty()) {
        if let Some(p) = v.strip_prefix("FILE:") {
            return Some(PathBuf::from(p));
        }
        if v.contains(':') && !v.starts_with('/') {
            return None; // KEYRING:, KCM:, DIR:, MEMORY: — only klist can tell
        }
        return Some(PathBuf::from(v));
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    Some(PathBuf::from(format!("/tmp/krb5cc_{uid}")))
}

/// `Some(true/false)` from `klist -s`, `None` when klist cannot run.
fn klist_says(program: &Path, env: &HadoopConfOptions) -> Option<bool> {
    let mut cmd = std::process::Command::new(program);
    cmd.arg("-s")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(cc) = env.env("KRB5CCNAME") {
        cmd.env("KRB5CCNAME", cc);
    }
    cmd.status().ok().map(|s| s.success())
}

pub(super) fn kerberos(
    conf: &HadoopConf,
    flink: &BTreeMap<String, String>,
    env: &HadoopConfOptions,
    klist: Option<&Path>,
    problems: &mut Vec<Problem>,
) {
    if !conf.kerberos() {
        return;
    }
    let keytab = flink
        .get("security.kerberos.login.keytab")
        .filter(|s| !s.trim().is_empty());
    if let Some(kt) = keytab {
        let readable = std::fs::File::open(kt).is_ok();
        if !readable {
            problems.push(Problem::new(
                "KERBEROS_NO_KEYTAB",
                Severity::Error,
                format!("security.kerberos.login.keytab = {kt} does not exist or is not readable"),
                "copy the keytab there with mode 0400 for the user running the CLI, or fix the path",
            ));
        }
        if flink
            .get("security.kerberos.login.principal")
            .is_none_or(|s| s.trim().is_empty())
        {
            problems.push(Problem::new(
                "KERBEROS_NO_PRINCIPAL",
                Severity::Error,
                "security.kerberos.login.keytab is set but security.kerberos.login.principal is not",
                "set security.kerberos.login.principal (e.g. flink/host@REALM) in the Flink configuration",
            ));
        }
        return;
    }
    let ticket = match klist.and_then(|k| klist_says(k, env)) {
        Some(ok) => ok,
        None => ticket_cache(env)
            .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0)),
    };
    if !ticket {
        problems.push(Problem::new(
            "KERBEROS_NO_TICKET",
            Severity::Error,
            "Hadoop uses Kerberos (hadoop.security.authentication=kerberos) but there is no valid ticket and no keytab in the Flink configuration",
            "kinit -kt <keytab> <principal>, or set security.kerberos.login.keytab and security.kerberos.login.principal",
        ));
    }
}
