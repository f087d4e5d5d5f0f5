//! `GET /api/v1/namespaces/{ns}/pods/{pod}/log`: `container`, `tailLines`, `limitBytes`,
//! `previous`, `follow`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use futures::SinkExt;

use super::Shared;
use super::server::status;

fn tail(content: &str, lines: Option<usize>) -> String {
    match lines {
        None => content.to_string(),
        Some(n) => {
            let all: Vec<&str> = content.lines().collect();
            let start = all.len().saturating_sub(n);
            let mut out = all[start..].join("\n");
            if !out.is_empty() {
                out.push('\n');
            }
            out
        }
    }
}

pub(crate) async fn serve(
    shared: Arc<Shared>,
    ns: String,
    pod: String,
    q: HashMap<String, String>,
) -> Response {
    let exists = shared
        .lock()
        .objects
        .contains_key(&("pods".to_string(), ns.clone(), pod.clone()));
    if !exists {
        return status(404, "NotFound", format!("pods \"{pod}\" not found"));
    }
    let container = q
        .get("container")
        .cloned()
        .unwrap_or_else(|| "flink-main-container".into());
    let key = (ns.clone(), pod.clone(), container.clone());
    let previous = q.get("previous").is_some_and(|p| p == "true");
    let Some((current, prev)) = shared.logs().get(&key).cloned() else {
        return status(
            400,
            "BadRequest",
            format!("container {container} is not valid for pod {pod}"),
        );
    };
    let tail_lines = q.get("tailLines").and_then(|t| t.parse().ok());
    let limit: Option<usize> = q.get("limitBytes").and_then(|t| t.parse().ok());
    let mut text = if previous {
        if prev.is_empty() {
            return status(
                400,
                "BadRequest",
                format!("previous terminated container \"{container}\" in pod \"{pod}\" not found"),
            );
        }
        tail(&prev, tail_lines)
    } else {
        tail(&current, tail_lines)
    };
    if let Some(l) = limit {
        let mut cut = l.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let follow = q.get("follow").is_some_and(|f| f == "true");
    if !follow || previous {
        return (axum::http::StatusCode::OK, text).into_response();
    }
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(async move {
        let mut sent = current.len();
        if tx.send(Ok(Bytes::from(text))).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let alive =
                shared
                    .lock()
                    .objects
                    .contains_key(&("pods".to_string(), ns.clone(), pod.clone()));
            let now = shared
                .logs()
                .get(&key)
                .map(|l| l.0.clone())
                .unwrap_or_default();
            if now.len() > sent {
                let delta = now[sent..].to_string();
                sent = now.len();
                if tx.send(Ok(Bytes::from(delta))).await.is_err() {
                    return;
                }
            }
            if !alive {
                return;
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::from_stream(rx))
        .unwrap_or_else(|_| status(500, "InternalError", "response"))
}
