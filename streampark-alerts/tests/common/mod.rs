//! A local stand-in for the vendors' webhook endpoints, written from their public docs:
//! it recomputes signatures itself, checks payload shapes and mentions, enforces the vendors'
//! rate limits on the test's virtual clock and answers as the vendors do (error codes inside
//! HTTP 200 bodies included).
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use base64::Engine;
use hmac::Mac;
use serde_json::{Value, json};
use streampark_alerts::{Clock, VirtualClock};

pub const DT_TOKEN: &str = "dt-token-7f3a9c";
pub const DT_SECRET: &str = "SECdingtalk5e1b22";
pub const WECOM_KEY: &str = "wecom-key-0b7d11";
pub const FS_TOKEN: &str = "feishu-token-c4d4e8";
pub const FS_SECRET: &str = "feishu-secret-91aa03";
pub const SLACK_PATH: &str = "T000AAA/B000BBB/slacksecretXYZ123";
pub const WH_SECRET: &str = "webhook-secret-6620ff";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub vendor: &'static str,
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Value,
    /// Virtual time of arrival.
    pub at: Duration,
    /// What was answered: `ok`, or the vendor code / status.
    pub answer: String,
}

#[derive(Default)]
struct St {
    seen: Vec<Seen>,
    fail_next: VecDeque<u16>,
    code_next: VecDeque<i64>,
    accepted: Vec<(&'static str, Duration)>,
}

#[derive(Clone)]
struct Shared {
    st: Arc<Mutex<St>>,
    clock: VirtualClock,
}

/// The running receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Receiver {
    pub async fn start(clock: VirtualClock) -> Receiver {
        let shared = Shared {
            st: Arc::default(),
            clock,
        };
        let app = Router::new()
            .route(
                "/robot/send",
                endpoint("dingtalk", Some("errcode"), dingtalk),
            )
            .route(
                "/cgi-bin/webhook/send",
                endpoint("wecom", Some("errcode"), wecom),
            )
            .route(
                "/open-apis/bot/v2/hook/{token}",
                endpoint("feishu", Some("code"), feishu),
            )
            .route("/services/{*rest}", endpoint("slack", None, slack))
            .route("/hook", endpoint("webhook", None, webhook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, shared }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn dingtalk_url(&self, token: &str) -> String {
        format!("{}/robot/send?access_token={token}", self.base())
    }
    pub fn wecom_url(&self, key: &str) -> String {
        format!("{}/cgi-bin/webhook/send?key={key}", self.base())
    }
    pub fn feishu_url(&self, token: &str) -> String {
        format!("{}/open-apis/bot/v2/hook/{token}", self.base())
    }
    pub fn slack_url(&self, path: &str) -> String {
        format!("{}/services/{path}", self.base())
    }
    pub fn webhook_url(&self) -> String {
        format!("{}/hook?token=querysecret-1234", self.base())
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.st.lock().unwrap().seen.clone()
    }
    /// Answer the next `n` requests with HTTP `status`.
    pub fn fail_next(&self, n: usize, status: u16) {
        let mut st = self.shared.st.lock().unwrap();
        st.fail_next.extend(std::iter::repeat_n(status, n));
    }
    /// Answer the next request with the vendor error `code` in an HTTP 200 body.
    pub fn code_next(&self, code: i64) {
        self.shared.st.lock().unwrap().code_next.push_back(code);
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// What a vendor answers to one request.
enum Reply {
    /// HTTP 200 with a JSON body carrying the vendor code (0 is success) and message;
    /// [`Seen::answer`] records `ok` or the code.
    Code(i64, &'static str),
    /// A plain answer: status, body, and what [`Seen::answer`] records.
    Plain(StatusCode, &'static str, String),
}

const OK: Reply = Reply::Code(0, "ok");

/// One request as a vendor's judge sees it.
struct Req<'a> {
    s: &'a Shared,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// A vendor's endpoint: every request is recorded and answered by [`handle`].
fn endpoint(
    vendor: &'static str,
    code_key: Option<&'static str>,
    judge: fn(&Req<'_>) -> Reply,
) -> MethodRouter<Shared> {
    post(
        move |State(s): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes| async move {
            let req = Req {
                s: &s,
                path: uri.path(),
                query: uri.query().unwrap_or_default(),
                headers: &headers,
                body: &body,
            };
            handle(vendor, code_key, &req, judge)
        },
    )
}

/// Records one request and answers it: a scripted failure if one is queued (`fail_next`;
/// `code_next` for vendors whose JSON answers carry `code_key`), else what `judge` says.
fn handle(
    vendor: &'static str,
    code_key: Option<&'static str>,
    req: &Req<'_>,
    judge: fn(&Req<'_>) -> Reply,
) -> Response {
    let s = req.s;
    let mut st = s.st.lock().unwrap();
    st.seen.push(Seen {
        vendor,
        raw_query: req.query.to_string(),
        headers: req.headers.clone(),
        body: serde_json::from_slice(req.body).unwrap_or(Value::Null),
        at: s.clock.now(),
        answer: String::new(),
    });
    let idx = st.seen.len() - 1;
    let scripted = match st.fail_next.pop_front() {
        Some(status) => Some(Reply::Plain(
            StatusCode::from_u16(status).unwrap(),
            "upstream trouble",
            format!("HTTP {status}"),
        )),
        None => st
            .code_next
            .pop_front()
            .filter(|_| code_key.is_some())
            .map(|c| Reply::Code(c, "scripted")),
    };
    drop(st); // `judge` checks the rate limits, which lock the state
    let (answer, response) = match scripted.unwrap_or_else(|| judge(req)) {
        Reply::Code(code, msg) => {
            let body = if code_key == Some("code") {
                json!({"code": code, "msg": msg, "data": {}})
            } else {
                json!({"errcode": code, "errmsg": msg})
            };
            let answer = if code == 0 {
                "ok".to_string()
            } else {
                code.to_string()
            };
            (answer, (StatusCode::OK, axum::Json(body)).into_response())
        }
        Reply::Plain(status, body, answer) => (answer, (status, body).into_response()),
    };
    s.st.lock().unwrap().seen[idx].answer = answer;
    response
}

/// Sliding-window rate check on the virtual clock; records an accepted send.
fn within_limits(s: &Shared, vendor: &'static str, limits: &[(usize, Duration)]) -> bool {
    let now = s.clock.now();
    let mut st = s.st.lock().unwrap();
    for (max, per) in limits {
        let n = st
            .accepted
            .iter()
            .filter(|(v, t)| *v == vendor && now < *t + *per)
            .count();
        if n >= *max {
            return false;
        }
    }
    st.accepted.push((vendor, now));
    true
}

fn dingtalk(r: &Req<'_>) -> Reply {
    let (s, q, body) = (r.s, r.query, r.body);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| pairs.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
    if get("access_token").as_deref() != Some(DT_TOKEN) {
        return Reply::Code(300001, "token is not exist");
    }
    // Signature: timestamp in ms within an hour, sign URL-encoded in the query.
    let (Some(ts), Some(sign)) = (get("timestamp"), get("sign")) else {
        return Reply::Code(310000, "sign not match, more: [missing sign]");
    };
    let raw_sign = q
        .split('&')
        .find_map(|p| p.strip_prefix("sign="))
        .unwrap_or("");
    if raw_sign.contains('+') || raw_sign.contains('/') || raw_sign.contains('=') {
        return Reply::Code(310000, "sign not match (sign not URL-encoded)");
    }
    let Ok(ts_ms) = ts.parse::<u128>() else {
        return Reply::Code(310000, "sign not match (timestamp)");
    };
    if now_ms().abs_diff(ts_ms) > 3_600_000 {
        return Reply::Code(310000, "sign not match (timestamp outside 1h)");
    }
    let expected = b64(&hmac256(
        DT_SECRET.as_bytes(),
        format!("{ts}\n{DT_SECRET}").as_bytes(),
    ));
    if sign != expected {
        return Reply::Code(310000, "sign not match");
    }
    // Payload shape (markdown) and mentions (each @mobile must appear in the text).
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Reply::Code(40035, "invalid json");
    };
    let ok_shape = v["msgtype"] == "markdown"
        && v["markdown"]["title"].is_string()
        && v["markdown"]["text"].is_string()
        && v["at"]["atMobiles"].is_array()
        && v["at"]["isAtAll"].is_boolean();
    if !ok_shape {
        return Reply::Code(40035, "missing parameter");
    }
    let text = v["markdown"]["text"].as_str().unwrap_or_default();
    for m in v["at"]["atMobiles"].as_array().into_iter().flatten() {
        if !text.contains(&format!("@{}", m.as_str().unwrap_or("?"))) {
            return Reply::Code(40035, "mentioned mobile not in text");
        }
    }
    if !within_limits(s, "dingtalk", &[(20, Duration::from_secs(60))]) {
        return Reply::Code(410100, "send too fast, exceed 20 times per minute");
    }
    OK
}

fn wecom(r: &Req<'_>) -> Reply {
    let (s, q, body) = (r.s, r.query, r.body);
    let key = url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned());
    if key.as_deref() != Some(WECOM_KEY) {
        return Reply::Code(93000, "invalid webhook url");
    }
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let content = match v["msgtype"].as_str() {
        Some("markdown") => v["markdown"]["content"].as_str(),
        Some("text") => {
            let lists_ok =
                v["text"]["mentioned_list"].is_array() || v["text"].get("mentioned_list").is_none();
            let mobiles_ok = v["text"]["mentioned_mobile_list"].is_array()
                || v["text"].get("mentioned_mobile_list").is_none();
            if !lists_ok || !mobiles_ok {
                return Reply::Code(40008, "invalid message type");
            }
            v["text"]["content"].as_str()
        }
        _ => return Reply::Code(40008, "invalid message type"),
    };
    match content {
        None | Some("") => return Reply::Code(44004, "empty content"),
        Some(c) if c.len() > 4096 => {
            return Reply::Code(40058, "content exceeds max length 4096");
        }
        Some(_) => {}
    }
    if !within_limits(s, "wecom", &[(20, Duration::from_secs(60))]) {
        return Reply::Code(45009, "api freq out of limit");
    }
    OK
}

fn feishu(r: &Req<'_>) -> Reply {
    let (s, body) = (r.s, r.body);
    let token = r
        .path
        .strip_prefix("/open-apis/bot/v2/hook/")
        .unwrap_or_default();
    const SIGN_FAIL: Reply = Reply::Code(
        19021,
        "sign match fail or timestamp is not within one hour from current time",
    );
    const BAD_REQUEST: Reply = Reply::Code(9499, "Bad Request");
    if token != FS_TOKEN {
        return Reply::Code(
            19001,
            "param invalid: incoming webhook access token invalid",
        );
    }
    if body.len() > 20 * 1024 {
        return BAD_REQUEST;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return BAD_REQUEST;
    };
    // Signature in the body: timestamp (seconds, string) and sign = base64(HMAC(key=ts\nsecret, "")).
    let (Some(ts), Some(sign)) = (v["timestamp"].as_str(), v["sign"].as_str()) else {
        return SIGN_FAIL;
    };
    let ts_s: u128 = ts.parse().unwrap_or(0);
    let expected = b64(&hmac256(format!("{ts}\n{FS_SECRET}").as_bytes(), b""));
    if sign != expected || (now_ms() / 1000).abs_diff(ts_s) > 3600 {
        return SIGN_FAIL;
    }
    let ok_shape = v["msg_type"] == "interactive"
        && v.get("content").is_none()
        && v["card"]["header"]["title"]["tag"] == "plain_text"
        && v["card"]["header"]["title"]["content"].is_string()
        && v["card"]["elements"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
        && v["card"]["elements"][0]["text"]["tag"] == "lark_md";
    if !ok_shape {
        return BAD_REQUEST;
    }
    if !within_limits(
        s,
        "feishu",
        &[(5, Duration::from_secs(1)), (100, Duration::from_secs(60))],
    ) {
        return Reply::Code(11232, "frequency limited psm");
    }
    Reply::Code(0, "success")
}

fn slack(r: &Req<'_>) -> Reply {
    let body = r.body;
    let rest = r.path.strip_prefix("/services/").unwrap_or_default();
    let plain = |status, text: &'static str| Reply::Plain(status, text, text.to_string());
    if rest != SLACK_PATH {
        return plain(StatusCode::NOT_FOUND, "no_service");
    }
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let blocks_ok = v["blocks"].as_array().is_some_and(|b| {
        !b.is_empty()
            && b.iter().all(|blk| {
                blk["type"].is_string()
                    && (blk["type"] != "section"
                        || (blk["text"]["type"] == "mrkdwn"
                            && blk["text"]["text"]
                                .as_str()
                                .is_some_and(|t| t.chars().count() <= 3000)))
                    && (blk["type"] != "header"
                        || (blk["text"]["type"] == "plain_text"
                            && blk["text"]["text"]
                                .as_str()
                                .is_some_and(|t| t.chars().count() <= 150)))
            })
    });
    if !v["text"].is_string() || !blocks_ok {
        return plain(StatusCode::BAD_REQUEST, "invalid_payload");
    }
    plain(StatusCode::OK, "ok")
}

fn webhook(r: &Req<'_>) -> Reply {
    let (headers, body) = (r.headers, r.body);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let mut msg = format!("{}.", header("x-streampark-timestamp")).into_bytes();
    msg.extend_from_slice(body);
    let expected = format!(
        "sha256={}",
        hex::encode(hmac256(WH_SECRET.as_bytes(), &msg))
    );
    if header("x-streampark-signature") != expected {
        return Reply::Plain(StatusCode::UNAUTHORIZED, "bad signature", "HTTP 401".into());
    }
    Reply::Plain(StatusCode::NO_CONTENT, "", "ok".into())
}

/// Runs `fut` to completion, advancing `clock` to the next deadline whenever `quiet()` says
/// nothing is in flight. Bounded: panics if the scenario does not finish.
pub async fn drive<T: Send + 'static>(
    clock: &VirtualClock,
    fut: impl std::future::Future<Output = T> + Send + 'static,
    quiet: impl Fn() -> bool,
) -> T {
    let handle = tokio::spawn(fut);
    for _ in 0..20_000 {
        if handle.is_finished() {
            return handle.await.expect("scenario task");
        }
        if clock.pending() > 0 && quiet() {
            clock.advance_to_next();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("scenario did not finish (virtual time {:?})", clock.now());
}
