//! The simulated WebHDFS NameNode and DataNode.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use super::{SimFile, SimYarn};

type Params = Query<HashMap<String, String>>;

/// NameNode `index` of the HA pair: it answers when it is the active one, else every request
/// gets a standby's `403` + `StandbyException`.
pub(crate) fn namenode(sim: SimYarn, index: usize) -> Router {
    Router::new()
        .route("/webhdfs/v1/{*path}", any(nn))
        .route("/webhdfs/v1/", any(nn))
        .with_state((sim, index))
}

pub(crate) fn datanode(sim: SimYarn) -> Router {
    Router::new()
        .route("/webhdfs/v1/{*path}", any(dn))
        .with_state(sim)
}

/// A NameNode's error: `exception` is the class as `fs.FileAlreadyExistsException` (under
/// `org.apache.hadoop.`) or a JDK class; the answer names it as WebHDFS does, the simple name
/// in `exception` and the full one in `javaClassName`.
fn remote(status: StatusCode, exception: &str, message: &str) -> Response {
    let class = match exception {
        "FileNotFoundException" => "java.io.FileNotFoundException".to_string(),
        "IllegalArgumentException" => "java.lang.IllegalArgumentException".to_string(),
        e => format!("org.apache.hadoop.{e}"),
    };
    let simple = exception.rsplit('.').next().unwrap_or(exception);
    (status, axum::Json(json!({"RemoteException": {"exception": simple, "javaClassName": class, "message": message}})))
        .into_response()
}

fn hdfs_path(uri: &Uri) -> String {
    let raw = uri.path().trim_start_matches("/webhdfs/v1");
    let decoded: String = percent_decode(raw);
    let p = decoded.trim_end_matches('/');
    if p.is_empty() {
        "/".into()
    } else {
        p.to_string()
    }
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The number of entries directly under `path`.
fn children(files: &std::collections::BTreeMap<String, SimFile>, path: &str) -> usize {
    let prefix = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    files
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .filter(|(p, _)| !p[prefix.len()..].contains('/'))
        .count()
}

/// One entry as the NameNode renders it (a directory has no access time and counts its
/// children).
fn status_json(suffix: &str, f: &SimFile, children: usize) -> Value {
    json!({"accessTime": if f.dir { 0 } else { f.mtime }, "blockSize": if f.dir { 0 } else { 134217728 }, "childrenNum": children,
        "fileId": 16386, "group": "supergroup", "length": f.len, "modificationTime": f.mtime,
        "owner": "flink", "pathSuffix": suffix, "permission": if f.dir { "755" } else { "644" },
        "replication": if f.dir { 0 } else { 3 }, "storagePolicy": 0,
        "type": if f.dir { "DIRECTORY" } else { "FILE" }})
}

fn mkdirs(files: &mut std::collections::BTreeMap<String, SimFile>, path: &str, now: i64) -> bool {
    let mut cur = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        cur.push('/');
        cur.push_str(seg);
        match files.get(&cur) {
            Some(f) if !f.dir => return false,
            Some(_) => {}
            None => {
                files.insert(
                    cur.clone(),
                    SimFile {
                        dir: true,
                        len: 0,
                        mtime: now,
                        data: Vec::new(),
                    },
                );
            }
        }
    }
    true
}

async fn nn(
    State((sim, index)): State<(SimYarn, usize)>,
    method: Method,
    uri: Uri,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let path = hdfs_path(&uri);
    let op = q.get("op").map(|s| s.to_uppercase()).unwrap_or_default();
    let now = sim.now();
    let mut g = sim.lock();
    if g.nn_active != index {
        g.stats.namenode_standby_refusals += 1;
        // WebHDFS.md / HA docs: a standby NameNode refuses every operation category.
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"RemoteException": {
                "exception": "StandbyException",
                "javaClassName": "org.apache.hadoop.ipc.StandbyException",
                "message": "Operation category READ is not supported in state standby. Visit https://s.apache.org/sbnn-error"
            }})),
        )
            .into_response();
    }
    match (method, op.as_str()) {
        (Method::PUT, "MKDIRS") => {
            let ok = mkdirs(&mut g.files, &path, now);
            if ok {
                axum::Json(json!({"boolean": true})).into_response()
            } else {
                remote(
                    StatusCode::FORBIDDEN,
                    "fs.FileAlreadyExistsException",
                    &format!("Path is not a directory: {path}"),
                )
            }
        }
        (Method::PUT, "CREATE") => {
            if !body.is_empty() {
                g.stats.namenode_bodies += 1;
                return remote(
                    StatusCode::BAD_REQUEST,
                    "IllegalArgumentException",
                    "the NameNode takes no data: send it to the DataNode",
                );
            }
            if q.get("overwrite").map(String::as_str) != Some("true") && g.files.contains_key(&path)
            {
                return remote(
                    StatusCode::FORBIDDEN,
                    "fs.FileAlreadyExistsException",
                    &format!("{path} for client already exists"),
                );
            }
            // The parameters in the order a Hadoop 3.4 NameNode writes them.
            let user = q
                .get("user.name")
                .map(|u| format!("&user.name={u}"))
                .unwrap_or_default();
            let overwrite = q.get("overwrite").map(String::as_str).unwrap_or("false");
            let loc = format!(
                "http://{}/webhdfs/v1{path}?op=CREATE{user}&namenoderpcaddress=sim-nn:8020&createflag=&createparent=true&overwrite={overwrite}",
                sim.shared.dn_addr
            );
            if q.get("noredirect").map(String::as_str) == Some("true") {
                axum::Json(json!({"Location": loc})).into_response()
            } else {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [
                        (header::LOCATION, loc),
                        (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    ],
                )
                    .into_response()
            }
        }
        (Method::GET, "GETFILESTATUS") => match g.files.get(&path) {
            Some(f) => axum::Json(
                json!({"FileStatus": status_json("", f, children(&g.files, &path))}),
            )
            .into_response(),
            None if path == "/" => axum::Json(
                json!({"FileStatus": status_json("", &SimFile { dir: true, len: 0, mtime: 0, data: Vec::new() }, children(&g.files, "/"))}),
            )
            .into_response(),
            None => remote(
                StatusCode::NOT_FOUND,
                "FileNotFoundException",
                &format!("File does not exist: {path}"),
            ),
        },
        (Method::GET, "LISTSTATUS") => {
            match g.files.get(&path) {
                Some(f) if !f.dir => {
                    return axum::Json(
                        json!({"FileStatuses": {"FileStatus": [status_json("", f, 0)]}}),
                    )
                    .into_response();
                }
                None if path != "/" => {
                    return remote(
                        StatusCode::NOT_FOUND,
                        "FileNotFoundException",
                        &format!("File {path} does not exist."),
                    );
                }
                _ => {}
            }
            let prefix = if path == "/" {
                "/".to_string()
            } else {
                format!("{path}/")
            };
            let list: Vec<Value> = g
                .files
                .iter()
                .filter_map(|(p, f)| {
                    let rest = p.strip_prefix(&prefix)?;
                    (!rest.is_empty() && !rest.contains('/'))
                        .then(|| status_json(rest, f, children(&g.files, p)))
                })
                .collect();
            axum::Json(json!({"FileStatuses": {"FileStatus": list}})).into_response()
        }
        (Method::DELETE, "DELETE") => {
            let recursive = q.get("recursive").map(String::as_str) == Some("true");
            let prefix = format!("{path}/");
            let children = g.files.keys().any(|p| p.starts_with(&prefix));
            if children && !recursive {
                return remote(
                    StatusCode::FORBIDDEN,
                    "fs.PathIsNotEmptyDirectoryException",
                    &format!("`{path} is non empty': Directory is not empty"),
                );
            }
            let existed = g.files.remove(&path).is_some();
            g.files.retain(|p, _| !p.starts_with(&prefix));
            axum::Json(json!({"boolean": existed})).into_response()
        }
        (m, op) => remote(
            StatusCode::BAD_REQUEST,
            "IllegalArgumentException",
            &format!("Invalid value for webhdfs parameter \"op\": {m} {op}"),
        ),
    }
}

async fn dn(
    State(sim): State<SimYarn>,
    method: Method,
    uri: Uri,
    Query(q): Params,
    body: Bytes,
) -> Response {
    if method != Method::PUT
        || q.get("op").map(String::as_str) != Some("CREATE")
        || !q.contains_key("namenoderpcaddress")
    {
        return remote(
            StatusCode::BAD_REQUEST,
            "IllegalArgumentException",
            "the DataNode takes CREATE redirected by the NameNode",
        );
    }
    let path = hdfs_path(&uri);
    let now = sim.now();
    let mut g = sim.lock();
    let parent = path
        .rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    if !mkdirs(&mut g.files, &parent, now) {
        return remote(
            StatusCode::FORBIDDEN,
            "fs.ParentNotDirectoryException",
            &parent,
        );
    }
    g.files.insert(
        path.clone(),
        SimFile {
            dir: false,
            len: body.len() as u64,
            mtime: now,
            data: body.to_vec(),
        },
    );
    g.stats.datanode_writes += 1;
    // No body and no Content-Type, as a DataNode answers.
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("hdfs://sim-nn:8020{path}"))],
    )
        .into_response()
}
