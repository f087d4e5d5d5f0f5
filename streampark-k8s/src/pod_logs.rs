//! Pod logs of a Flink cluster, shared by the operator and the native deployer.
//!
//! A cluster's log files are its pods' containers, JobManager first: `<pod>/<container>` and,
//! after a restart (say a `CrashLoopBackOff`), `<pod>/<container>/previous` for the log of the
//! container that died. Pods are told apart by Flink's `component=jobmanager|taskmanager`
//! label, which both the operator and Flink's native client set.

use futures::stream::BoxStream;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use streampark_core::deploy::{DeploymentId, LogFile, LogOptions, Logs};
use streampark_core::{Error, Result};

/// How many trailing lines a one-shot read asks the API server for.
const LOG_TAIL_LINES: i64 = 10_000;

/// One container log of a pod.
#[derive(Clone, Debug)]
pub(crate) struct PodLog {
    /// The file name reported to callers.
    pub(crate) name: String,
    pod: String,
    container: String,
    previous: bool,
}

/// The log files of `pods`, JobManager pods first (the first file is the default).
pub(crate) fn log_files<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> Vec<PodLog> {
    let mut pods: Vec<&Pod> = pods.into_iter().collect();
    pods.sort_by_key(|p| {
        let jm = p
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("component"))
            .map(String::as_str)
            == Some("jobmanager");
        (!jm, p.metadata.name.clone())
    });
    let mut out = Vec::new();
    for p in pods {
        let pod = p.metadata.name.clone().unwrap_or_default();
        for cs in p
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten())
        {
            out.push(PodLog {
                name: format!("{pod}/{}", cs.name),
                pod: pod.clone(),
                container: cs.name.clone(),
                previous: false,
            });
            if cs.restart_count > 0 {
                out.push(PodLog {
                    name: format!("{pod}/{}/previous", cs.name),
                    pod: pod.clone(),
                    container: cs.name.clone(),
                    previous: true,
                });
            }
        }
    }
    out
}

fn choose(
    backend: &'static str,
    id: &DeploymentId,
    files: &[PodLog],
    file: Option<&str>,
) -> Result<PodLog> {
    match file {
        Some(f) => files.iter().find(|x| x.name == f),
        None => files.first(),
    }
    .cloned()
    .ok_or_else(|| Error::not_found(backend, format!("log {} of {id}", file.unwrap_or("(main)"))))
}

/// Reads the tail of one log file (`opts.file`, else the first) of deployment `id`.
pub(crate) async fn read(
    backend: &'static str,
    pods: &Api<Pod>,
    id: &DeploymentId,
    files: &[PodLog],
    opts: &LogOptions,
    map_err: impl Fn(&str, kube::Error) -> Error,
) -> Result<Logs> {
    let chosen = choose(backend, id, files, opts.file.as_deref())?;
    let lp = kube::api::LogParams {
        container: Some(chosen.container.clone()),
        previous: chosen.previous,
        tail_lines: Some(LOG_TAIL_LINES),
        ..Default::default()
    };
    let mut content = pods
        .logs(&chosen.pod, &lp)
        .await
        .map_err(|e| map_err(&format!("read log of pod {}", chosen.pod), e))?;
    // `limitBytes` would cut the head; ask for the last lines and keep the tail.
    let truncated = content.len() > opts.max_bytes;
    if truncated {
        let mut cut = content.len() - opts.max_bytes;
        while !content.is_char_boundary(cut) {
            cut += 1;
        }
        content = content.split_off(cut);
    }
    Ok(Logs::new(
        files
            .iter()
            .map(|f| LogFile::new(f.name.clone(), None))
            .collect(),
        chosen.name,
        content,
        truncated,
    ))
}

/// Follows one log file (`file`, else the first) of deployment `id`: a stream of lines until
/// the container stops or the stream is dropped.
pub(crate) async fn follow(
    backend: &'static str,
    pods: &Api<Pod>,
    id: &DeploymentId,
    files: &[PodLog],
    file: Option<&str>,
    tail_lines: Option<i64>,
    map_err: impl Fn(&str, kube::Error) -> Error,
) -> Result<BoxStream<'static, Result<String>>> {
    use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
    let chosen = choose(backend, id, files, file)?;
    let lp = kube::api::LogParams {
        container: Some(chosen.container.clone()),
        follow: true,
        previous: chosen.previous,
        tail_lines,
        ..Default::default()
    };
    let reader = pods
        .log_stream(&chosen.pod, &lp)
        .await
        .map_err(|e| map_err(&format!("follow log of pod {}", chosen.pod), e))?;
    Ok(reader
        .lines()
        .map_err(move |e| Error::Unavailable {
            backend,
            what: "log stream".into(),
            retry_after: None,
            source: Some(Box::new(e)),
        })
        .boxed())
}
