//! Live checks: ResourceManager reachability and HA state, the HDFS workspace.

use std::collections::BTreeMap;

use streampark_core::FlinkHome;
use streampark_core::flink_home::LocalFile;

use super::{Doctor, Problem, Severity};
use crate::conf::HadoopConf;
use crate::hdfs::{FileKind, WebHdfsClient};
use crate::rm::{HaState, ResourceManagerClient};

/// Most file names listed in one message.
const LIST_MAX: usize = 8;

pub(super) async fn run(
    doctor: &Doctor,
    conf: &HadoopConf,
    home: Option<&FlinkHome>,
    problems: &mut Vec<Problem>,
) {
    if conf.kerberos() {
        problems.push(Problem::new(
            "LIVE_CHECKS_SKIPPED_KERBEROS",
            Severity::Warning,
            "live ResourceManager and HDFS checks skipped: the cluster uses Kerberos and SPNEGO is not implemented in this SDK",
            "check the RMs and the workspace with `yarn rmadmin -getAllServiceState` and `hdfs dfs -ls`",
        ));
        return;
    }
    resource_managers(doctor, conf, problems).await;
    if let (Some(ws), Some(home)) = (&doctor.workspace, home) {
        workspace(doctor, conf, ws, home, problems).await;
    }
}

async fn resource_managers(doctor: &Doctor, conf: &HadoopConf, problems: &mut Vec<Problem>) {
    let urls = conf.resource_manager_urls();
    if urls.is_empty() {
        return; // RM_ADDRESS_INVALID already says why
    }
    let client = match ResourceManagerClient::builder()
        .with_urls(urls)
        .with_user(doctor.user.clone())
        .with_timeout(doctor.timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            problems.push(Problem::new(
                "RM_CLIENT_INVALID",
                Severity::Error,
                e.to_string(),
                "fix the ResourceManager addresses in yarn-site.xml",
            ));
            return;
        }
    };
    let infos = client.cluster_infos().await;
    let reachable = infos.iter().filter(|(_, r)| r.is_ok()).count();
    for (url, r) in &infos {
        if let Err(e) = r {
            problems.push(Problem::new(
                "RM_UNREACHABLE",
                if reachable == 0 { Severity::Error } else { Severity::Warning },
                format!("ResourceManager {url} did not answer /ws/v1/cluster/info: {e}"),
                "check the address in yarn-site.xml, that the RM runs, and firewalls between this host and the RM web port",
            ));
        }
    }
    if reachable == 0 {
        return;
    }
    let active = infos.iter().any(|(_, r)| {
        r.as_ref()
            .is_ok_and(|i| i.ha_state.is_none() || i.ha_state == Some(HaState::Active))
    });
    if active && let Some(q) = &doctor.queue {
        queue(&client, q, problems).await;
    }
    if !active {
        let states: Vec<String> = infos
            .iter()
            .filter_map(|(u, r)| r.as_ref().ok().map(|i| format!("{u} is {:?}", i.ha_state)))
            .collect();
        problems.push(Problem::new(
            "NO_ACTIVE_RM",
            Severity::Error,
            format!("no ResourceManager is ACTIVE: {}", states.join(", ")),
            "check `yarn rmadmin -getAllServiceState` and the RMs' ZooKeeper leader election",
        ));
    }
}

async fn queue(client: &ResourceManagerClient, name: &str, problems: &mut Vec<Problem>) {
    let queues = match client.queues().await {
        Ok(q) => q,
        Err(e) => {
            problems.push(Problem::new(
                "YARN_QUEUE_UNCHECKED",
                Severity::Warning,
                format!("could not read the scheduler's queues to check `{name}`: {e}"),
                "check that /ws/v1/cluster/scheduler answers on the active ResourceManager",
            ));
            return;
        }
    };
    let leaves: Vec<&str> = queues
        .iter()
        .filter(|q| q.leaf)
        .map(|q| q.path.as_str())
        .collect();
    let Some(q) = queues
        .iter()
        .find(|q| q.leaf && q.is_named(name))
        .or_else(|| queues.iter().find(|q| q.is_named(name)))
    else {
        problems.push(Problem::new(
            "YARN_QUEUE_UNKNOWN",
            Severity::Error,
            format!(
                "queue `{name}` does not exist; the scheduler's leaf queues are {}",
                leaves.join(", ")
            ),
            "name one of those queues (yarn.application.queue), or have it added to the scheduler configuration",
        ));
        return;
    };
    if !q.leaf {
        problems.push(Problem::new(
            "YARN_QUEUE_NOT_LEAF",
            Severity::Error,
            format!(
                "queue `{name}` ({}) is a parent queue; applications go to leaf queues: {}",
                q.path,
                leaves.join(", ")
            ),
            "name a leaf queue under it",
        ));
    } else if q.state.as_deref() == Some("STOPPED") {
        problems.push(Problem::new(
            "YARN_QUEUE_STOPPED",
            Severity::Error,
            format!("queue `{name}` ({}) is STOPPED: it accepts no application", q.path),
            "have the queue started (`yarn rmadmin -refreshQueues` after setting its state to RUNNING)",
        ));
    }
}

fn workspace_root(ws: &str) -> String {
    // hdfs://ns/streampark -> /streampark; /streampark stays.
    let path = match url::Url::parse(ws) {
        Ok(u) if u.scheme() == "hdfs" => u.path().to_string(),
        _ => ws.to_string(),
    };
    let trimmed = path.trim_end_matches('/');
    if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

async fn workspace(
    doctor: &Doctor,
    conf: &HadoopConf,
    ws: &str,
    home: &FlinkHome,
    problems: &mut Vec<Problem>,
) {
    let urls = conf.webhdfs_urls();
    if urls.is_empty() {
        return; // WEBHDFS_ADDRESS_UNKNOWN / HDFS_DEFAULT_FS_* already say why
    }
    let root = format!("{}/flink/{}", workspace_root(ws), home.version());
    // One client over every NameNode: it passes over a standby or unreachable one itself.
    let listed = async {
        let client = WebHdfsClient::builder()
            .with_urls(urls)
            .with_user(doctor.user.clone())
            .with_timeout(doctor.timeout)
            .build()?;
        let lib = match remote_files(&client, &format!("{root}/lib"), 0).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        let plugins = remote_files(&client, &format!("{root}/plugins"), 0)
            .await
            .unwrap_or(None);
        Ok((lib, plugins))
    };
    match listed.await {
        Ok((lib, plugins)) => {
            compare(&root, "lib", home.lib(), lib, problems);
            compare(&root, "plugins", home.plugins(), plugins, problems);
        }
        Err(e) => problems.push(Problem::new(
            "HDFS_UNREACHABLE",
            Severity::Error,
            format!("no NameNode answered over WebHDFS: {e}"),
            "check dfs.namenode.http-address in hdfs-site.xml and that WebHDFS is enabled (dfs.webhdfs.enabled)",
        )),
    }
}

/// `relative path -> size` under `dir`, `None` when `dir` does not exist.
async fn remote_files(
    client: &WebHdfsClient,
    dir: &str,
    depth: u32,
) -> Result<Option<BTreeMap<String, u64>>, streampark_core::Error> {
    if client.file_status(dir).await?.is_none() {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    let mut stack = vec![(dir.to_string(), String::new(), depth)];
    while let Some((path, prefix, d)) = stack.pop() {
        for st in client.list_status(&path).await? {
            let rel = format!("{prefix}{}", st.path_suffix);
            match st.kind {
                FileKind::Directory if d < 4 => {
                    stack.push((
                        format!("{path}/{}", st.path_suffix),
                        format!("{rel}/"),
                        d + 1,
                    ));
                }
                FileKind::Directory => {}
                _ => {
                    out.insert(rel, st.length);
                }
            }
        }
    }
    Ok(Some(out))
}

fn compare(
    root: &str,
    sub: &str,
    local: &[LocalFile],
    remote: Option<BTreeMap<String, u64>>,
    problems: &mut Vec<Problem>,
) {
    let dir = format!("{root}/{sub}");
    let fix = "upload the local Flink home's lib/ and plugins/ to the workspace (the YARN deployer syncs it), or delete the directory so it is uploaded again";
    let Some(remote) = remote else {
        if !local.is_empty() {
            problems.push(Problem::new(
                "HDFS_WORKSPACE_INCOMPLETE",
                Severity::Error,
                format!("{dir} does not exist in HDFS ({} local files)", local.len()),
                fix,
            ));
        }
        return;
    };
    let mut missing = Vec::new();
    let mut differs = Vec::new();
    for f in local {
        match remote.get(&f.relative) {
            None => missing.push(f.relative.clone()),
            Some(len) if *len != f.size => {
                differs.push(format!("{} (local {} B, HDFS {len} B)", f.relative, f.size));
            }
            Some(_) => {}
        }
    }
    if missing.is_empty() && differs.is_empty() {
        return;
    }
    let show = |v: &[String]| {
        let mut s = v
            .iter()
            .take(LIST_MAX)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if v.len() > LIST_MAX {
            s.push_str(&format!(" and {} more", v.len() - LIST_MAX));
        }
        s
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("{} missing: {}", missing.len(), show(&missing)));
    }
    if !differs.is_empty() {
        parts.push(format!(
            "{} differ in size: {}",
            differs.len(),
            show(&differs)
        ));
    }
    problems.push(Problem::new(
        "HDFS_WORKSPACE_INCOMPLETE",
        Severity::Error,
        format!(
            "{dir} does not match the local Flink home: {}",
            parts.join("; ")
        ),
        fix,
    ));
}
