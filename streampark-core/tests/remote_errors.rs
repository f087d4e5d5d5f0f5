//! Bad answers and bad input reach the caller as typed errors naming what and where, never as
//! panics. A scripted HTTP server on 127.0.0.1:0 plays a misbehaving Flink.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::flink::FlinkClient;
use streampark_core::{
    DeployRequest, Deployer, DeploymentId, Error, JobSpec, LogOptions, RemoteDeployer,
    SavepointOptions, Selector, StopOptions, StopOutcome,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer: (path fragment to match, status, body). `status == 0` never answers.
type Script = Vec<(&'static str, u16, String)>;

/// `GET /config` in the shape Flink 2.3.0 answers it (the deployer reads the release before it
/// submits).
const CONFIG_2_3: &str = r#"{"refresh-interval":3000,"timezone-name":"Coordinated Universal Time","timezone-offset":0,"flink-version":"2.3.0","flink-revision":"2c5f0ab @ 2026-03-02T10:00:00+01:00","features":{"web-submit":true,"web-cancel":true,"web-rescale":false,"web-history":false}}"#;

async fn serve(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let script = Arc::new(script);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let script = script.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                let mut got = Vec::new();
                loop {
                    let n = match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&got).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let Some((_, status, body)) = script.iter().find(|(p, _, _)| path.contains(p))
                else {
                    let _ = sock
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                };
                if *status == 0 {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

fn client(url: &str) -> FlinkClient {
    FlinkClient::builder()
        .with_url(url)
        .with_timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

const JID: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn unreachable_url_is_unavailable_and_names_the_endpoint() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client(&format!("http://127.0.0.1:{port}"))
        .overview()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    assert!(e.is_retryable());
    let s = e.to_string();
    assert!(
        s.contains("GET /overview") && s.contains(&port.to_string()),
        "{s}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let url = serve(vec![("/overview", 0, String::new())]).await;
    let e = client(&url).overview().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("GET /overview"), "{e}");
}

#[tokio::test]
async fn truncated_and_malformed_json_are_protocol_errors() {
    let url = serve(vec![
        (
            "/jobs/overview",
            200,
            r#"{"jobs":[{"jid":"ab","name":"x","#.into(),
        ),
        ("/overview", 200, r#"{"taskmanagers": "two"}"#.into()),
        ("/config", 200, "<html>proxy error</html>".into()),
    ])
    .await;
    let c = client(&url);
    let e = c.jobs_overview().await.unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
    assert!(
        e.to_string().contains("GET /jobs/overview") && e.to_string().contains("truncated JSON"),
        "{e}"
    );
    let e = c.overview().await.unwrap_err();
    assert!(e.to_string().contains("unexpected shape"), "{e}");
    let e = c.config().await.unwrap_err();
    assert!(e.to_string().contains("malformed JSON at line 1"), "{e}");
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let big = format!("{{\"jobs\":[{}]}}", vec!["{}"; 200_000].join(","));
    let url = serve(vec![("/jobs/overview", 200, big)]).await;
    let c = FlinkClient::builder()
        .with_url(&url)
        .with_max_answer_bytes(64 * 1024)
        .build()
        .unwrap();
    let e = c.jobs_overview().await.unwrap_err();
    assert!(e.to_string().contains("larger than 65536 bytes"), "{e}");
}

#[tokio::test]
async fn unknown_jobs_are_not_found_and_stop_is_idempotent() {
    let url = serve(vec![(
        "/jobs/0123",
        404,
        format!(r#"{{"errors":["Job {JID} not found"]}}"#),
    )])
    .await;
    let d = RemoteDeployer::builder().with_url(&url).build().unwrap();
    let id = DeploymentId::new(JID);
    let e = d.inspect(&id).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains("not found"), "{e}");
    assert_eq!(
        d.stop(&id, StopOptions::cancel()).await.unwrap(),
        StopOutcome::AlreadyGone
    );
    let e = d.logs(&id, LogOptions::default()).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn malformed_deployment_ids_never_reach_the_wire() {
    let d = RemoteDeployer::builder()
        .with_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    for bad in ["../../jars", "", "zz", "0123456789abcdef0123456789abcdeg"] {
        let e = d.inspect(&DeploymentId::new(bad)).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
        let e = d
            .savepoint(&DeploymentId::new(bad), SavepointOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
    }
}

#[tokio::test]
async fn a_program_that_fails_in_main_is_rejected_with_flinks_text() {
    let err = r#"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n\tat x.Y.z(Y.java:1)\nCaused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: Table 'nowhere' not found\n\tat a.B.c(B.java:2)"]}"#;
    let url = serve(vec![
        ("/jobs/overview", 200, r#"{"jobs":[]}"#.into()),
        ("/config", 200, CONFIG_2_3.into()),
        (
            "/jars/upload",
            200,
            r#"{"filename":"/tmp/flink-web/abc_streampark-sql-runner.jar","status":"success"}"#
                .into(),
        ),
        ("/run", 500, err.into()),
    ])
    .await;
    let d = RemoteDeployer::builder().with_url(&url).build().unwrap();
    let spec = JobSpec::sql("j", "INSERT INTO nowhere SELECT 1").unwrap();
    let e = d.deploy(DeployRequest::new(spec, 1)).await.unwrap_err();
    let Error::Rejected {
        operation, message, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(
        operation.contains("/jars/abc_streampark-sql-runner.jar/run"),
        "{operation}"
    );
    assert!(
        message.contains("HTTP 500") && message.contains("Table 'nowhere' not found"),
        "{message}"
    );
    assert!(!message.contains("Y.java"), "{message}");
}

#[tokio::test]
async fn untagged_and_hostile_job_names_are_ignored_by_list() {
    let long = "x".repeat(100_000);
    let body = format!(
        r#"{{"jobs":[
        {{"jid":"{JID}","name":"someone else's job","state":"RUNNING","start-time":1,"end-time":-1,"duration":1,"last-modification":1}},
        {{"jid":"{JID}","name":"{long} [streampark:a:1","state":"RUNNING"}},
        {{"jid":"{JID}","name":"\u0000[streampark:b:99999999999999999999999]","state":"RUNNING"}},
        {{"jid":"{JID}","name":"ok [streampark:good-job:3]","state":"SOMETHING_NEW"}}
        ]}}"#
    );
    let url = serve(vec![("/jobs/overview", 200, body)]).await;
    let d = RemoteDeployer::builder().with_url(&url).build().unwrap();
    let list = d.list(&Selector::All).await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].job.as_str(), "good-job");
    assert_eq!(list[0].attempt, 3);
    assert_eq!(list[0].state, streampark_core::JobState::Unknown);
}

#[tokio::test]
async fn a_missing_local_jar_is_invalid_input_naming_the_path() {
    let url = serve(vec![
        ("/jobs/overview", 200, r#"{"jobs":[]}"#.into()),
        ("/config", 200, CONFIG_2_3.into()),
    ])
    .await;
    let d = RemoteDeployer::builder().with_url(&url).build().unwrap();
    let spec = JobSpec::jar("j", "/no/such/dir/app.jar", None, vec![]).unwrap();
    let e = d.deploy(DeployRequest::new(spec, 1)).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert!(e.to_string().contains("/no/such/dir/app.jar"), "{e}");
}

#[test]
fn handles_are_send_sync_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<RemoteDeployer>();
    check::<FlinkClient>();
    check::<streampark_core::testkit::SimDeployer>();
    check::<Arc<dyn Deployer>>();
}
