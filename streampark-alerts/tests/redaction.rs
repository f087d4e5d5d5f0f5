//! Secrets (SMTP password, webhook secrets and keys, tokens in URLs) never appear in Debug,
//! Display, error chains or tracing output.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use streampark_alerts::{
    DingTalkSink, EmailSink, FeishuSink, RetryLayer, Router, RouterConfig, SinkStack, SlackSink,
    VirtualClock, WeComSink, WebhookSink,
};
use streampark_core::{Alert, AlertError, AlertSink, Severity};

const SMTP_PASSWORD: &str = "smtp-pass-9931";
const BEARER: &str = "Bearer-tok-55aa";
const QUERY_TOKEN: &str = "querysecret-1234";

fn secrets() -> Vec<&'static str> {
    vec![
        DT_TOKEN,
        DT_SECRET,
        WECOM_KEY,
        FS_TOKEN,
        FS_SECRET,
        "slacksecretXYZ123",
        WH_SECRET,
        QUERY_TOKEN,
        BEARER,
        SMTP_PASSWORD,
    ]
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(s), "{what} leaks `{s}`:\n{text}");
    }
}

/// Display, Debug and every cause of an error.
fn error_text(e: &AlertError) -> String {
    let mut out = format!("{e}\n{e:?}\n");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out.push_str(&format!("{s}\n{s:?}\n"));
        src = s.source();
    }
    out
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_spans() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clock = VirtualClock::new();
    let r = Receiver::start(clock.clone()).await;
    let dead = free_port();
    let alert = Alert::new(Severity::Critical, "orders down").with_job("orders");
    let mut shown = String::new();
    let mut errors = Vec::new();

    // Builders and sinks, good and bad secrets.
    let dt_b = DingTalkSink::builder()
        .with_url(r.dingtalk_url(DT_TOKEN))
        .with_secret(DT_SECRET);
    shown.push_str(&format!("{dt_b:?}\n"));
    let dt = dt_b.build().unwrap();
    shown.push_str(&format!("{dt:?}\n"));
    dt.send(&alert).await.unwrap();
    let dt_bad = DingTalkSink::builder()
        .with_url(r.dingtalk_url(DT_TOKEN))
        .with_secret("SECnope")
        .build()
        .unwrap();
    errors.push(dt_bad.send(&alert).await.unwrap_err());
    let dt_dead = DingTalkSink::builder()
        .with_url(format!(
            "http://127.0.0.1:{dead}/robot/send?access_token={DT_TOKEN}"
        ))
        .with_secret(DT_SECRET)
        .build()
        .unwrap();
    errors.push(dt_dead.send(&alert).await.unwrap_err());

    let wc_b = WeComSink::builder().with_url(r.wecom_url(WECOM_KEY));
    shown.push_str(&format!("{wc_b:?}\n"));
    let wc = wc_b.build().unwrap();
    shown.push_str(&format!("{wc:?}\n"));
    wc.send(&alert).await.unwrap();
    r.fail_next(1, 500);
    errors.push(wc.send(&alert).await.unwrap_err());

    let fs_b = FeishuSink::builder()
        .with_url(r.feishu_url(FS_TOKEN))
        .with_secret(FS_SECRET);
    shown.push_str(&format!("{fs_b:?}\n"));
    let fs = fs_b.build().unwrap();
    shown.push_str(&format!("{fs:?}\n"));
    fs.send(&alert).await.unwrap();
    let fs_dead = FeishuSink::builder()
        .with_url(format!(
            "http://127.0.0.1:{dead}/open-apis/bot/v2/hook/{FS_TOKEN}"
        ))
        .with_secret(FS_SECRET)
        .build()
        .unwrap();
    errors.push(fs_dead.send(&alert).await.unwrap_err());

    let sl = SlackSink::builder()
        .with_url(r.slack_url(SLACK_PATH))
        .build()
        .unwrap();
    shown.push_str(&format!("{sl:?}\n"));
    sl.send(&alert).await.unwrap();
    let sl_dead = SlackSink::builder()
        .with_url(format!("http://127.0.0.1:{dead}/services/{SLACK_PATH}"))
        .build()
        .unwrap();
    // Through the retry layer: the Exhausted error carries the last cause.
    let retried = SinkStack::new(sl_dead)
        .layer(
            RetryLayer::new()
                .with_max_attempts(2)
                .with_base_delay(Duration::ZERO),
        )
        .into_sink();
    shown.push_str(&format!("{retried:?}\n"));
    errors.push(retried.send(&alert).await.unwrap_err());

    let wh_b = WebhookSink::builder()
        .with_url(format!("{}/hook?token={QUERY_TOKEN}", r.base()))
        .with_signing_secret(WH_SECRET)
        .with_header("Authorization", BEARER);
    shown.push_str(&format!("{wh_b:?}\n"));
    let wh = wh_b.build().unwrap();
    shown.push_str(&format!("{wh:?}\n"));
    wh.send(&alert).await.unwrap();
    let wh_bad = WebhookSink::builder()
        .with_url(format!("{}/hook?token={QUERY_TOKEN}", r.base()))
        .with_signing_secret("nope")
        .with_header("Authorization", BEARER)
        .build()
        .unwrap();
    errors.push(wh_bad.send(&alert).await.unwrap_err());

    let em_b = EmailSink::builder()
        .with_url(format!(
            "smtp://alerts%40corp:{SMTP_PASSWORD}@127.0.0.1:{dead}"
        ))
        .with_from("alerts@example.com")
        .with_to("oncall@example.com");
    shown.push_str(&format!("{em_b:?}\n"));
    let em = em_b.build().unwrap();
    shown.push_str(&format!("{em:?}\n"));
    let em2 = EmailSink::builder()
        .with_url(format!("smtp://127.0.0.1:{dead}"))
        .with_credentials("alerts", SMTP_PASSWORD)
        .with_from("alerts@example.com")
        .with_to("oncall@example.com")
        .build()
        .unwrap();
    shown.push_str(&format!("{em2:?}\n"));
    errors.push(em.send(&alert).await.unwrap_err());

    // Invalid configuration errors never echo the value.
    errors.push(
        DingTalkSink::builder()
            .with_url(format!(
                "ftp://oapi.dingtalk.com/robot/send?access_token={DT_TOKEN}"
            ))
            .build()
            .unwrap_err(),
    );
    errors.push(
        EmailSink::builder()
            .with_url(format!("smtpx://u:{SMTP_PASSWORD}@h"))
            .with_from("a@example.com")
            .with_to("b@example.com")
            .build()
            .unwrap_err(),
    );

    // A router built from a file full of secrets.
    let yaml = format!(
        "route:\n  receiver: all\nreceivers:\n  - name: all\n    dingtalk_configs: [{{url: '{}', secret: '{DT_SECRET}'}}]\n    wecom_configs: [{{url: '{}'}}]\n    feishu_configs: [{{url: '{}', secret: '{FS_SECRET}'}}]\n    webhook_configs: [{{url: '{}/hook?token={QUERY_TOKEN}', secret: '{WH_SECRET}', headers: {{Authorization: '{BEARER}'}}}}]\n    email_configs: [{{smtp: 'smtp://127.0.0.1:{dead}', username: u, password: '{SMTP_PASSWORD}', from: a@example.com, to: [b@example.com]}}]\n",
        r.dingtalk_url(DT_TOKEN),
        r.wecom_url(WECOM_KEY),
        r.feishu_url(FS_TOKEN),
        r.base()
    );
    let cfg = RouterConfig::from_yaml_str(&yaml).unwrap();
    shown.push_str(&format!("{cfg:?}\n"));
    let router = Router::builder(cfg)
        .with_clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    shown.push_str(&format!("{router:?}\n"));

    assert_eq!(errors.len(), 9);
    for e in &errors {
        assert_clean("error", &error_text(e));
    }
    assert_clean("Debug", &shown);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    // Not vacuous: the spans and the failures were captured.
    for kind in ["dingtalk", "wecom", "feishu", "slack", "webhook", "email"] {
        assert!(
            logs.contains(&format!("alert.send{{sink=\"{kind}\"")),
            "no send span of {kind}:\n{logs}"
        );
    }
    assert!(logs.contains("310000") && logs.contains("WARN"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert_clean("tracing output", &logs);
}
