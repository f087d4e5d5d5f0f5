//! Hadoop's documented sample answers (tests/fixtures, from ResourceManagerRest.md and
//! WebHDFS.md), served verbatim over HTTP and read by the clients.

use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use streampark_yarn::hdfs::{FileKind, WebHdfsClient};
use streampark_yarn::rm::{AppQuery, AppState, FinalStatus, HaState, ResourceManagerClient};

fn json(body: &'static str) -> impl IntoResponse + Clone {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

async fn serve(app: Router) -> url::Url {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    format!("http://{addr}").parse().unwrap()
}

#[tokio::test]
async fn resource_manager_doc_samples() {
    let app = Router::new()
        .route("/ws/v1/cluster/info", get(|| async { json(include_str!("fixtures/rm_cluster_info.json")) }))
        .route("/ws/v1/cluster/apps", get(|| async { json(include_str!("fixtures/rm_apps_null.json")) }))
        .route(
            "/ws/v1/cluster/apps/application_1476912658570_0002",
            get(|| async { json(include_str!("fixtures/rm_app.json")) }),
        )
        .route(
            "/ws/v1/cluster/apps/application_1476912658570_0002/appattempts",
            get(|| async { json(include_str!("fixtures/rm_appattempts.json")) }),
        )
        .route(
            "/ws/v1/cluster/apps/application_1_404",
            get(|| async {
                (StatusCode::NOT_FOUND, json(r#"{"RemoteException":{"exception":"NotFoundException","message":"java.lang.Exception: app with id: application_1_404 not found","javaClassName":"org.apache.hadoop.yarn.webapp.NotFoundException"}}"#))
            }),
        );
    let url = serve(app).await;
    let c = ResourceManagerClient::builder()
        .with_url(url.clone())
        .with_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let infos = c.cluster_infos().await;
    assert_eq!(infos[0].1.as_ref().unwrap().ha_state, Some(HaState::Active));
    assert_eq!(c.active().await.unwrap(), url);
    assert!(
        c.apps(&AppQuery::new().with_tag("streampark"))
            .await
            .unwrap()
            .is_empty()
    );
    let a = c.app("application_1476912658570_0002").await.unwrap();
    assert_eq!(
        (a.state, a.final_status),
        (AppState::Finished, FinalStatus::Succeeded)
    );
    assert_eq!(a.user, "user2");
    let at = c.attempts("application_1476912658570_0002").await.unwrap();
    assert_eq!(at.len(), 1);
    assert_eq!(at[0].node_http_address, "host.domain.com:8042");
    let e = c.app("application_1_404").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn webhdfs_doc_samples() {
    let app = Router::new().route(
        "/webhdfs/v1/{*p}",
        get(
            |q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                match q.get("op").map(String::as_str) {
                    Some("LISTSTATUS") => {
                        json(include_str!("fixtures/webhdfs_liststatus.json")).into_response()
                    }
                    _ => json(include_str!("fixtures/webhdfs_getfilestatus.json")).into_response(),
                }
            },
        ),
    );
    let url = serve(app).await;
    let h = WebHdfsClient::builder().with_url(url).build().unwrap();
    let ls = h.list_status("/user/webuser").await.unwrap();
    assert_eq!(
        ls.iter()
            .map(|f| f.path_suffix.as_str())
            .collect::<Vec<_>>(),
        ["a.patch", "bar"]
    );
    let st = h.file_status("/user/webuser").await.unwrap().unwrap();
    assert_eq!(
        (st.kind, st.modification_time),
        (FileKind::Directory, 1320173277227)
    );
}
