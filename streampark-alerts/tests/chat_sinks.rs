//! Every chat sink against a local receiver that behaves like the vendor (see `common`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use streampark_alerts::{
    DingTalkSink, FeishuSink, RetryLayer, SinkStack, SlackSink, ThrottleLayer, VirtualClock,
    WeComSink, WebhookSink,
};
use streampark_core::{Alert, AlertError, AlertSink, Severity};

fn alert() -> Alert {
    Alert::new(Severity::Critical, "orders job failed")
        .with_text("TaskManager lost; restarting")
        .with_job("orders")
        .with_team("ads")
        .with_label("cluster", "yarn-prod")
        .with_link("Flink UI", "http://jm.example:8081/#/job/abc")
}

fn dingtalk(r: &Receiver, secret: &str) -> DingTalkSink {
    DingTalkSink::builder()
        .with_url(r.dingtalk_url(DT_TOKEN))
        .with_secret(secret)
        .with_at_mobile("13800000001")
        .with_at_user_id("manager7")
        .build()
        .unwrap()
}

fn feishu(r: &Receiver, secret: &str) -> FeishuSink {
    FeishuSink::builder()
        .with_url(r.feishu_url(FS_TOKEN))
        .with_secret(secret)
        .with_at_user("ou_abc123")
        .with_at_all(true)
        .build()
        .unwrap()
}

fn wecom(r: &Receiver, key: &str) -> WeComSink {
    WeComSink::builder()
        .with_url(r.wecom_url(key))
        .build()
        .unwrap()
}

fn slack(r: &Receiver, path: &str) -> SlackSink {
    SlackSink::builder()
        .with_url(r.slack_url(path))
        .build()
        .unwrap()
}

fn retry(clock: &VirtualClock) -> RetryLayer {
    RetryLayer::new()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_secs(2))
        .with_jitter(false)
        .with_clock(Arc::new(clock.clone()))
}

/// Sends one alert through `sink` with the retry layer, driving the virtual clock, and
/// returns what the receiver answered to each try (after `r.fail_next`/`r.code_next`).
async fn answers_with_retry(
    clock: &VirtualClock,
    r: &Receiver,
    sink: impl AlertSink,
) -> Vec<String> {
    let sink = SinkStack::new(sink).layer(retry(clock)).into_sink();
    let a = alert();
    drive(clock, async move { sink.send(&a).await }, || true)
        .await
        .unwrap();
    r.seen().iter().map(|s| s.answer.clone()).collect()
}

/// Sends through `sink` with the retry layer and expects a rejection with the vendor's
/// `code` after exactly one request: a permanent error is not retried.
async fn rejected_once(clock: &VirtualClock, r: &Receiver, sink: impl AlertSink, code: &str) {
    let sink = SinkStack::new(sink).layer(retry(clock)).into_sink();
    let err = sink.send(&alert()).await.unwrap_err();
    assert!(
        matches!(&err, AlertError::Rejected { code: c, .. } if c == code),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(r.seen().len(), 1, "a permanent rejection is not retried");
}

/// Sends `n` alerts at once through `sink` behind the vendor's `throttle`, advancing the
/// virtual clock whenever every admitted send has reached the receiver. Every send must
/// succeed and the receiver must never have had to refuse one (it answers the vendor's
/// rate-limit code when its own window is exceeded); returns what it saw.
async fn burst(
    clock: &VirtualClock,
    r: Arc<Receiver>,
    sink: impl AlertSink,
    throttle: ThrottleLayer,
    n: usize,
) -> Vec<Seen> {
    let throttle = throttle.with_clock(Arc::new(clock.clone()));
    let sink = SinkStack::new(sink).layer(throttle.clone()).into_sink();
    let all = futures::future::join_all((0..n).map(|i| {
        let sink = sink.clone();
        async move { sink.send(&alert().with_label("n", i.to_string())).await }
    }));
    let (t, r2) = (throttle.clone(), r.clone());
    let results = drive(clock, all, move || {
        t.stats().passed as usize == r2.seen().len()
    })
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let seen = r.seen();
    assert_eq!(seen.len(), n);
    assert!(
        seen.iter().all(|s| s.answer == "ok"),
        "the receiver refused a send: {:?}",
        seen.iter().map(|s| &s.answer).collect::<Vec<_>>()
    );
    assert_eq!(throttle.stats().dropped, 0);
    seen
}

// ---------------------------------------------------------------- DingTalk

#[tokio::test]
async fn dingtalk_signed_markdown_with_mentions_is_accepted() {
    let r = Receiver::start(VirtualClock::new()).await;
    dingtalk(&r, DT_SECRET).send(&alert()).await.unwrap();
    let seen = r.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].answer, "ok");
    let b = &seen[0].body;
    assert_eq!(b["msgtype"], "markdown");
    assert_eq!(b["markdown"]["title"], "[CRITICAL] orders job failed");
    let text = b["markdown"]["text"].as_str().unwrap();
    assert!(
        text.contains("TaskManager lost")
            && text.contains("@13800000001")
            && text.contains("@manager7"),
        "{text}"
    );
    assert_eq!(b["at"]["atMobiles"], serde_json::json!(["13800000001"]));
    assert_eq!(b["at"]["atUserIds"], serde_json::json!(["manager7"]));
    assert_eq!(b["at"]["isAtAll"], false);
}

#[tokio::test]
async fn dingtalk_wrong_secret_fails_and_is_not_retried() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    rejected_once(&clock, &r, dingtalk(&r, "SECwrong"), "310000").await;
}

#[tokio::test]
async fn dingtalk_wrong_token_is_rejected() {
    let r = Receiver::start(VirtualClock::new()).await;
    let sink = DingTalkSink::builder()
        .with_url(r.dingtalk_url("nope"))
        .with_secret(DT_SECRET)
        .build()
        .unwrap();
    let err = sink.send(&alert()).await.unwrap_err();
    assert!(
        matches!(&err, AlertError::Rejected { code, .. } if code == "300001"),
        "{err}"
    );
}

#[tokio::test]
async fn dingtalk_two_500s_then_success_is_delivered_with_backoff() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    r.fail_next(2, 500);
    let answers = answers_with_retry(&clock, &r, dingtalk(&r, DT_SECRET)).await;
    assert_eq!(answers, ["HTTP 500", "HTTP 500", "ok"]);
    // Backoff without jitter: 2 s, then 4 s.
    let at: Vec<_> = r.seen().iter().map(|s| s.at.as_secs()).collect();
    assert_eq!(at, [0, 2, 6]);
}

#[tokio::test]
async fn dingtalk_send_too_fast_code_is_retried() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    r.code_next(410100);
    let answers = answers_with_retry(&clock, &r, dingtalk(&r, DT_SECRET)).await;
    assert_eq!(answers, ["410100", "ok"]);
}

#[tokio::test]
async fn dingtalk_rate_limit_is_respected_on_a_virtual_clock() {
    let clock = VirtualClock::new();
    let r = Arc::new(Receiver::start(clock.clone()).await);
    let sink = dingtalk(&r, DT_SECRET);
    let seen = burst(&clock, r, sink, ThrottleLayer::dingtalk(), 25).await;
    // 20 per minute: the robot never said 410100.
    let at_zero = seen.iter().filter(|s| s.at == Duration::ZERO).count();
    let at_minute = seen
        .iter()
        .filter(|s| s.at == Duration::from_secs(60))
        .count();
    assert_eq!((at_zero, at_minute), (20, 5));
}

#[tokio::test]
async fn throttle_queue_is_bounded_and_overflow_counted() {
    let clock = VirtualClock::new();
    let r = Arc::new(Receiver::start(clock.clone()).await);
    let throttle = ThrottleLayer::dingtalk()
        .with_max_queue(3)
        .with_clock(Arc::new(clock.clone()));
    let sink = SinkStack::new(dingtalk(&r, DT_SECRET))
        .layer(throttle.clone())
        .into_sink();
    for _ in 0..20 {
        sink.send(&alert()).await.unwrap();
    }
    // The window is full: three may wait, the fourth is refused and counted.
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let s = sink.clone();
            tokio::spawn(async move { s.send(&alert()).await })
        })
        .collect();
    while throttle.stats().waiting < 3 {
        tokio::task::yield_now().await;
    }
    let err = sink.send(&alert()).await.unwrap_err();
    assert!(
        matches!(err, AlertError::QueueFull { bound: 3, .. }),
        "{err}"
    );
    assert_eq!(throttle.stats().dropped, 1);
    clock.advance(Duration::from_secs(60));
    for w in waiting {
        w.await.unwrap().unwrap();
    }
    assert_eq!(r.seen().len(), 23);
    assert!(r.seen().iter().all(|s| s.answer == "ok"));
}

// ---------------------------------------------------------------- WeCom

#[tokio::test]
async fn wecom_markdown_with_user_mentions() {
    let r = Receiver::start(VirtualClock::new()).await;
    let sink = WeComSink::builder()
        .with_url(r.wecom_url(WECOM_KEY))
        .with_mentioned_user("zhangsan")
        .build()
        .unwrap();
    sink.send(&alert()).await.unwrap();
    let b = &r.seen()[0].body;
    assert_eq!(b["msgtype"], "markdown");
    let c = b["markdown"]["content"].as_str().unwrap();
    assert!(
        c.contains("orders job failed") && c.contains("<@zhangsan>"),
        "{c}"
    );
}

#[tokio::test]
async fn wecom_mobile_mentions_use_text_with_mentioned_mobile_list() {
    let r = Receiver::start(VirtualClock::new()).await;
    let sink = WeComSink::builder()
        .with_url(r.wecom_url(WECOM_KEY))
        .with_mentioned_mobile("13800000002")
        .with_at_all(true)
        .build()
        .unwrap();
    sink.send(&alert()).await.unwrap();
    let seen = r.seen();
    assert_eq!(seen[0].answer, "ok");
    let b = &seen[0].body;
    assert_eq!(b["msgtype"], "text");
    assert_eq!(
        b["text"]["mentioned_mobile_list"],
        serde_json::json!(["13800000002"])
    );
    assert_eq!(b["text"]["mentioned_list"], serde_json::json!(["@all"]));
    assert!(
        b["text"]["content"]
            .as_str()
            .unwrap()
            .starts_with("[CRITICAL] orders job failed")
    );
}

#[tokio::test]
async fn wecom_wrong_key_fails_and_is_not_retried() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    rejected_once(&clock, &r, wecom(&r, "wrong-key"), "93000").await;
}

#[tokio::test]
async fn wecom_two_500s_then_success() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    r.fail_next(2, 503);
    let answers = answers_with_retry(&clock, &r, wecom(&r, WECOM_KEY)).await;
    assert_eq!(answers, ["HTTP 503", "HTTP 503", "ok"]);
}

#[tokio::test]
async fn wecom_rate_limit_is_respected_on_a_virtual_clock() {
    let clock = VirtualClock::new();
    let r = Arc::new(Receiver::start(clock.clone()).await);
    let sink = wecom(&r, WECOM_KEY);
    let seen = burst(&clock, r, sink, ThrottleLayer::wecom(), 42).await;
    // 20 per minute: no 45009.
    let minutes: Vec<u64> = seen.iter().map(|s| s.at.as_secs() / 60).collect();
    assert_eq!(minutes.iter().filter(|m| **m == 0).count(), 20);
    assert_eq!(minutes.iter().filter(|m| **m == 1).count(), 20);
    assert_eq!(minutes.iter().filter(|m| **m == 2).count(), 2);
}

// ---------------------------------------------------------------- Feishu

#[tokio::test]
async fn feishu_signed_card_with_at_mentions_is_accepted() {
    let r = Receiver::start(VirtualClock::new()).await;
    feishu(&r, FS_SECRET).send(&alert()).await.unwrap();
    let seen = r.seen();
    assert_eq!(seen[0].answer, "ok");
    let b = &seen[0].body;
    assert_eq!(b["msg_type"], "interactive");
    assert_eq!(
        b["card"]["header"]["title"]["content"],
        "[CRITICAL] orders job failed"
    );
    assert_eq!(b["card"]["header"]["template"], "red");
    let md = b["card"]["elements"][0]["text"]["content"]
        .as_str()
        .unwrap();
    assert!(
        md.contains("<at id=ou_abc123></at>") && md.contains("<at id=all></at>"),
        "{md}"
    );
    assert_eq!(
        b["card"]["elements"][1]["actions"][0]["url"],
        "http://jm.example:8081/#/job/abc"
    );
    // Seconds, as a string, in the body.
    assert_eq!(b["timestamp"].as_str().unwrap().len(), 10);
}

#[tokio::test]
async fn feishu_wrong_secret_fails_and_is_not_retried() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    rejected_once(&clock, &r, feishu(&r, "wrong"), "19021").await;
}

#[tokio::test]
async fn feishu_two_500s_then_success() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    r.fail_next(2, 500);
    let answers = answers_with_retry(&clock, &r, feishu(&r, FS_SECRET)).await;
    assert_eq!(answers, ["HTTP 500", "HTTP 500", "ok"]);
}

#[tokio::test]
async fn feishu_rate_limits_five_per_second_are_respected() {
    let clock = VirtualClock::new();
    let r = Arc::new(Receiver::start(clock.clone()).await);
    let sink = feishu(&r, FS_SECRET);
    let seen = burst(&clock, r, sink, ThrottleLayer::feishu(), 12).await;
    // 5 per second: no 11232.
    let mut secs: Vec<u64> = seen.iter().map(|s| s.at.as_secs()).collect();
    secs.sort();
    assert_eq!(secs, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]);
}

// ---------------------------------------------------------------- Slack

#[tokio::test]
async fn slack_blocks_are_accepted() {
    let r = Receiver::start(VirtualClock::new()).await;
    let sink = SlackSink::builder()
        .with_url(r.slack_url(SLACK_PATH))
        .with_mention_group("S0ONCALL")
        .build()
        .unwrap();
    sink.send(&alert()).await.unwrap();
    let b = &r.seen()[0].body;
    assert_eq!(b["text"], "[CRITICAL] orders job failed");
    assert_eq!(b["blocks"][0]["type"], "header");
    assert_eq!(b["blocks"][1]["text"]["type"], "mrkdwn");
    let t = b["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        t.contains("<!subteam^S0ONCALL>")
            && t.contains("<http://jm.example:8081/#/job/abc|Flink UI>"),
        "{t}"
    );
}

#[tokio::test]
async fn slack_unknown_hook_is_rejected_and_500s_are_retried() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    let err = slack(&r, "T1/B1/nope").send(&alert()).await.unwrap_err();
    assert!(
        matches!(&err, AlertError::Rejected { code, message, .. } if code == "HTTP 404" && message == "no_service"),
        "{err}"
    );
    r.fail_next(2, 500);
    let answers = answers_with_retry(&clock, &r, slack(&r, SLACK_PATH)).await;
    assert_eq!(answers, ["no_service", "HTTP 500", "HTTP 500", "ok"]);
}

#[tokio::test]
async fn slack_429_is_retried_after_retry_after() {
    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    r.fail_next(1, 429);
    let answers = answers_with_retry(&clock, &r, slack(&r, SLACK_PATH)).await;
    assert_eq!(answers, ["HTTP 429", "ok"]);
}

// ---------------------------------------------------------------- Webhook

#[tokio::test]
async fn webhook_signed_default_body() {
    let r = Receiver::start(VirtualClock::new()).await;
    let sink = WebhookSink::builder()
        .with_url(r.webhook_url())
        .with_signing_secret(WH_SECRET)
        .build()
        .unwrap();
    sink.send(&alert()).await.unwrap();
    let s = &r.seen()[0];
    assert_eq!(s.answer, "ok");
    assert_eq!(s.body["severity"], "critical");
    assert_eq!(s.body["labels"]["cluster"], "yarn-prod");
    assert_eq!(s.body["job"], "orders");
    assert_eq!(s.body["version"], "1");
    assert_eq!(s.body["fingerprint"].as_str().unwrap().len(), 16);
}

#[tokio::test]
async fn webhook_template_body_and_wrong_secret() {
    let r = Receiver::start(VirtualClock::new()).await;
    let sink = WebhookSink::builder()
        .with_url(r.webhook_url())
        .with_signing_secret(WH_SECRET)
        .with_body_template(
            r#"{"msg": {{ alert.title|tojson }}, "sev": {{ alert.severity|tojson }}}"#,
        )
        .build()
        .unwrap();
    sink.send(&alert()).await.unwrap();
    assert_eq!(
        r.seen()[0].body,
        serde_json::json!({"msg": "orders job failed", "sev": "critical"})
    );
    let bad = WebhookSink::builder()
        .with_url(r.webhook_url())
        .with_signing_secret("nope")
        .build()
        .unwrap();
    let err = bad.send(&alert()).await.unwrap_err();
    assert!(
        matches!(&err, AlertError::Rejected { code, .. } if code == "HTTP 401"),
        "{err}"
    );
    let broken = WebhookSink::builder()
        .with_url(r.webhook_url())
        .with_body_template("{not json")
        .build()
        .unwrap();
    assert!(matches!(
        broken.send(&alert()).await.unwrap_err(),
        AlertError::Template { .. }
    ));
}

// ---------------------------------------------------------------- transport

#[tokio::test]
async fn unreachable_endpoint_is_retryable() {
    // Bind then drop a listener: the port is free and refuses connections.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sink = SlackSink::builder()
        .with_url(format!("http://127.0.0.1:{port}/services/x"))
        .build()
        .unwrap();
    let err = sink.send(&alert()).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(matches!(err, AlertError::Unavailable { .. }));
}
