//! Attempt fencing: at most one live attempt per job, across hosts, by compare-and-swap on a
//! per-job `ConfigMap` (`<base>-fence`, data `attempt` and `since_ms`).
//!
//! To deploy attempt `n`, a host reads the fence and the job's resources (fresh, never from a
//! cache), refuses if attempt `n` already exists, another attempt is live, or the fence already
//! holds `n` or later, and then moves the fence to `n` with the `resourceVersion` it read.
//! Two hosts racing both read the same version; the API server accepts one write and answers
//! `409 Conflict` to the other, which re-reads and is fenced. A fence whose attempt never got
//! its resource (its host died between the write and the apply) blocks for `in_flight` only.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;
use streampark_core::{Error, JobId};

use crate::BACKEND;
use crate::resources::{JOB_LABEL, MANAGED_LABEL, MANAGED_VALUE, job_base_name};

/// One existing attempt of the job, as the fence sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Existing {
    pub(crate) attempt: u64,
    pub(crate) live: bool,
}

/// The fence `ConfigMap` name of a job.
pub(crate) fn fence_name(job: &JobId) -> String {
    format!("{}-fence", job_base_name(job))
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn kube_err(operation: &str, e: kube::Error) -> Error {
    match e {
        kube::Error::Api(s) if s.is_not_found() => Error::not_found(BACKEND, operation.to_string()),
        kube::Error::Api(s) if s.is_forbidden() => Error::PermissionDenied {
            backend: BACKEND,
            reason: format!("{operation}: {}", s.message),
        },
        kube::Error::Api(s) if s.is_invalid() || s.code == 400 || s.code == 415 => {
            Error::Rejected {
                backend: BACKEND,
                operation: operation.to_string(),
                message: s.message.clone(),
                source: None,
            }
        }
        kube::Error::Api(s) => Error::Unavailable {
            backend: BACKEND,
            what: format!("{operation} (HTTP {}: {})", s.code, s.message),
            retry_after: None,
            source: None,
        },
        other => Error::Unavailable {
            backend: BACKEND,
            what: operation.to_string(),
            retry_after: None,
            source: Some(Box::new(other)),
        },
    }
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.is_conflict() || s.is_already_exists() || s.code == 409)
}

/// Moves the fence of `job` to `attempt`, or explains who holds it. `existing` reads the job's
/// resources fresh from the API server.
pub(crate) async fn acquire<F, Fut>(
    api: &Api<ConfigMap>,
    job: &JobId,
    attempt: u64,
    in_flight: Duration,
    mut existing: F,
) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Existing>, Error>>,
{
    let name = fence_name(job);
    let fenced = |live: u64| Error::Fenced {
        backend: BACKEND,
        job: job.to_string(),
        attempt,
        live_attempt: live,
    };
    for _ in 0..5 {
        let current = api
            .get_opt(&name)
            .await
            .map_err(|e| kube_err("read the job fence", e))?;
        let resources = existing().await?;
        if resources.iter().any(|r| r.attempt == attempt) {
            return Err(fenced(attempt));
        }
        if let Some(live) = resources.iter().filter(|r| r.live).map(|r| r.attempt).max() {
            return Err(fenced(live));
        }
        let data = current
            .as_ref()
            .and_then(|c| c.data.clone())
            .unwrap_or_default();
        let held: u64 = data
            .get("attempt")
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        let since: i64 = data
            .get("since_ms")
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        if held >= attempt {
            return Err(fenced(held));
        }
        let held_missing = held > 0 && !resources.iter().any(|r| r.attempt == held);
        let fresh = now_ms().saturating_sub(since)
            < i64::try_from(in_flight.as_millis()).unwrap_or(i64::MAX);
        if held_missing && fresh {
            // Another host moved the fence and is about to create its resource.
            return Err(fenced(held));
        }
        let mut labels = BTreeMap::new();
        labels.insert(MANAGED_LABEL.to_string(), MANAGED_VALUE.to_string());
        labels.insert(JOB_LABEL.to_string(), job.to_string());
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(labels),
                resource_version: current
                    .as_ref()
                    .and_then(|c| c.metadata.resource_version.clone()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([
                ("attempt".to_string(), attempt.to_string()),
                ("since_ms".to_string(), now_ms().to_string()),
            ])),
            ..Default::default()
        };
        let written = match &current {
            None => api.create(&PostParams::default(), &cm).await,
            Some(_) => api.replace(&name, &PostParams::default(), &cm).await,
        };
        match written {
            Ok(_) => return Ok(()),
            Err(e) if is_conflict(&e) => {
                tracing::debug!(backend = BACKEND, job = %job, attempt, "fence moved under us; re-reading");
                continue;
            }
            Err(e) => return Err(kube_err("write the job fence", e)),
        }
    }
    Err(Error::Unavailable {
        backend: BACKEND,
        what: format!("the fence of job `{job}` (kept changing)"),
        retry_after: Some(Duration::from_secs(1)),
        source: None,
    })
}

/// Removes the fence of `job` (after its resources are deleted).
pub(crate) async fn release(api: &Api<ConfigMap>, job: &JobId) -> Result<(), Error> {
    match api.delete(&fence_name(job), &Default::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.is_not_found() => Ok(()),
        Err(e) => Err(kube_err("delete the job fence", e)),
    }
}

#[cfg(test)]
mod tests {
    //! kube's documented seam: a `tower-test` mock service scripts the API server.
    use super::*;
    use http::{Request, Response};
    use kube::client::Body;
    use serde_json::json;

    type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

    fn reply(code: u16, v: serde_json::Value) -> Response<Body> {
        Response::builder()
            .status(code)
            .body(Body::from(serde_json::to_vec(&v).unwrap()))
            .unwrap()
    }

    fn status(code: u16, reason: &str) -> serde_json::Value {
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code, "message": reason})
    }

    async fn body_json(req: Request<Body>) -> serde_json::Value {
        let bytes = req.into_body().collect_bytes().await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn fence_cm(attempt: u64, rv: &str) -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "f", "namespace": "ns", "resourceVersion": rv},
            "data": {"attempt": attempt.to_string(), "since_ms": "0"}})
    }

    #[tokio::test]
    async fn a_lost_race_on_the_fence_ends_fenced_by_the_winner() {
        let (svc, mut handle): (_, Handle) = tower_test::mock::pair();
        let client = kube::Client::new(svc, "ns");
        let api: Api<ConfigMap> = Api::namespaced(client, "ns");
        let job = JobId::new("orders").unwrap();
        let name = fence_name(&job);
        let server = tokio::spawn(async move {
            // 1. No fence yet.
            let (req, send) = handle.next_request().await.unwrap();
            assert_eq!(req.method(), http::Method::GET);
            assert_eq!(
                req.uri().path(),
                format!("/api/v1/namespaces/ns/configmaps/{name}")
            );
            send.send_response(reply(404, status(404, "NotFound")));
            // 2. Create it: another host was faster.
            let (req, send) = handle.next_request().await.unwrap();
            assert_eq!(req.method(), http::Method::POST);
            let body = body_json(req).await;
            assert_eq!(body["data"]["attempt"], "2");
            send.send_response(reply(409, status(409, "AlreadyExists")));
            // 3. Re-read: the winner holds attempt 2.
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(reply(200, fence_cm(2, "7")));
        });
        let mut calls = 0;
        let e = acquire(&api, &job, 2, Duration::from_secs(60), || {
            calls += 1;
            // The winner's resource exists on the second look.
            let found = if calls == 1 {
                vec![]
            } else {
                vec![Existing {
                    attempt: 2,
                    live: true,
                }]
            };
            async move { Ok(found) }
        })
        .await
        .unwrap_err();
        server.await.unwrap();
        assert!(
            matches!(
                e,
                Error::Fenced {
                    attempt: 2,
                    live_attempt: 2,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn moving_the_fence_sends_the_version_it_read() {
        let (svc, mut handle): (_, Handle) = tower_test::mock::pair();
        let api: Api<ConfigMap> = Api::namespaced(kube::Client::new(svc, "ns"), "ns");
        let job = JobId::new("orders").unwrap();
        let server = tokio::spawn(async move {
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(reply(200, fence_cm(1, "41")));
            let (req, send) = handle.next_request().await.unwrap();
            assert_eq!(req.method(), http::Method::PUT);
            let body = body_json(req).await;
            assert_eq!(
                body["metadata"]["resourceVersion"], "41",
                "compare-and-swap on the read version"
            );
            assert_eq!(body["data"]["attempt"], "2");
            send.send_response(reply(200, fence_cm(2, "42")));
        });
        // Attempt 1 is over (terminal): attempt 2 may go.
        acquire(&api, &job, 2, Duration::from_secs(60), || async {
            Ok(vec![Existing {
                attempt: 1,
                live: false,
            }])
        })
        .await
        .unwrap();
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_fence_whose_resource_never_came_blocks_only_while_fresh() {
        let (svc, mut handle): (_, Handle) = tower_test::mock::pair();
        let api: Api<ConfigMap> = Api::namespaced(kube::Client::new(svc, "ns"), "ns");
        let job = JobId::new("orders").unwrap();
        let server = tokio::spawn(async move {
            let mut fresh = fence_cm(3, "5");
            fresh["data"]["since_ms"] = now_ms().to_string().into();
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(reply(200, fresh));
        });
        let e = acquire(&api, &job, 4, Duration::from_secs(60), || async {
            Ok(vec![])
        })
        .await
        .unwrap_err();
        server.await.unwrap();
        assert!(
            matches!(
                e,
                Error::Fenced {
                    attempt: 4,
                    live_attempt: 3,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn api_errors_map_to_categories() {
        let st = |code: u16, reason: &str| {
            kube::Error::Api(Box::new(
                serde_json::from_value(status(code, reason)).unwrap(),
            ))
        };
        assert!(kube_err("x", st(404, "NotFound")).is_not_found());
        assert!(matches!(
            kube_err("x", st(403, "Forbidden")),
            Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            kube_err("x", st(422, "Invalid")),
            Error::Rejected { .. }
        ));
        assert!(matches!(
            kube_err("x", st(500, "InternalError")),
            Error::Unavailable { .. }
        ));
    }
}
