//! Email reaches a real SMTP server and is read back (subject, recipients, both bodies).
//!
//! Needs `STREAMPARK_IT_SMTP=host:port` and `STREAMPARK_IT_SMTP_OUT=<dir>` (where
//! `scripts/smtp_sink.py` writes each message as JSON); `scripts/ci-alerts.sh` starts the
//! server and sets them. Skipped, with a note, otherwise.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use streampark_alerts::{EmailSink, EmailSinkBuilder, SmtpTls};
use streampark_core::{Alert, AlertError, AlertSink, Severity};

/// `(server, output dir, optional (user, password))`.
type ItEnv = (String, String, Option<(String, String)>);

fn env() -> Option<ItEnv> {
    let server = std::env::var("STREAMPARK_IT_SMTP").ok()?;
    let out = std::env::var("STREAMPARK_IT_SMTP_OUT").ok()?;
    let auth = std::env::var("STREAMPARK_IT_SMTP_USER")
        .ok()
        .zip(std::env::var("STREAMPARK_IT_SMTP_PASSWORD").ok());
    Some((server, out, auth))
}

/// A subject marker unique to this run.
fn marker(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{nanos}")
}

/// Sends from `alerts@example.com` to `oncall@example.com` at `url` (plus `more`), with the
/// environment's login if it has one and a 10 s limit.
fn sink(
    url: String,
    auth: &Option<(String, String)>,
    more: impl FnOnce(EmailSinkBuilder) -> EmailSinkBuilder,
) -> EmailSink {
    let b = more(
        EmailSink::builder()
            .with_url(url)
            .with_from("alerts@example.com")
            .with_to("oncall@example.com")
            .with_timeout(Duration::from_secs(10)),
    );
    match auth {
        Some((u, p)) => b.with_credentials(u, p),
        None => b,
    }
    .build()
    .unwrap()
}

async fn read_back(dir: &str, marker: &str) -> serde_json::Value {
    // Bounded wait for the server to write the file.
    for _ in 0..200 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "json") {
                    let v: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                    if v["subject"].as_str().is_some_and(|s| s.contains(marker)) {
                        return v;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message with `{marker}` in {dir}");
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server() {
    let Some((server, out, auth)) = env() else {
        eprintln!(
            "note: STREAMPARK_IT_SMTP not set; skipping the real SMTP test (run scripts/ci-alerts.sh)"
        );
        return;
    };
    let marker = marker("it");
    let sink = sink(format!("smtp://{server}"), &auth, |b| {
        b.with_from("StreamPark Alerts <alerts@example.com>")
            .with_to("Ads Team <ads@example.com>")
    });
    let alert = Alert::new(
        Severity::Critical,
        format!("订单作业失败 orders job failed {marker}"),
    )
    .with_text("TaskManager lost <3 times>\n检查点超时 (checkpoint timed out)")
    .with_job("orders")
    .with_label("cluster", "yarn-prod")
    .with_link("Flink UI", "http://jm.example:8081/#/job/abc");
    sink.send(&alert).await.unwrap();

    let m = read_back(&out, &marker).await;
    assert_eq!(
        m["subject"],
        format!("[CRITICAL] 订单作业失败 orders job failed {marker}")
    );
    assert_eq!(m["mail_from"], "alerts@example.com");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["oncall@example.com", "ads@example.com"])
    );
    assert!(
        m["to"]
            .as_str()
            .unwrap()
            .contains("Ads Team <ads@example.com>"),
        "{m}"
    );
    assert_eq!(m["content_type"], "multipart/alternative");
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains("TaskManager lost <3 times>") && text.contains("Job: orders"),
        "{text}"
    );
    // Non-ASCII survives the encoding (RFC 2047 subject, encoded bodies).
    assert!(
        text.contains("cluster: yarn-prod") && text.contains("检查点超时"),
        "{text}"
    );
    let html = m["html"].as_str().unwrap();
    assert!(
        html.contains("<h2") && html.contains("TaskManager lost &lt;3 times&gt;"),
        "{html}"
    );
    assert!(html.contains("yarn-prod"), "{html}");
    if let Some((u, _)) = &auth {
        assert_eq!(m["auth_user"].as_str(), Some(u.as_str()));
    }
    assert_eq!(m["tls"], false, "plain SMTP on loopback");
}

#[tokio::test]
async fn email_over_starttls_with_rustls() {
    let Some((server, out, auth)) = env() else {
        eprintln!("note: STREAMPARK_IT_SMTP not set; skipping the STARTTLS test");
        return;
    };
    if std::env::var("STREAMPARK_IT_SMTP_STARTTLS").is_err() {
        eprintln!("note: STREAMPARK_IT_SMTP_STARTTLS not set; skipping the STARTTLS test");
        return;
    }
    let marker = marker("tls");
    let sink = sink(format!("smtp://{server}"), &auth, |b| {
        // The test server's certificate is self-signed.
        b.with_tls(SmtpTls::Starttls)
            .with_accept_invalid_certs(true)
    });
    sink.send(&Alert::new(Severity::Major, format!("lag {marker}")).with_text("behind by 10 min"))
        .await
        .unwrap();
    let m = read_back(&out, &marker).await;
    assert_eq!(
        m["tls"], true,
        "the session was upgraded with STARTTLS: {m}"
    );
    assert_eq!(m["subject"], format!("[MAJOR] lag {marker}"));
    assert!(m["text"].as_str().unwrap().contains("behind by 10 min"));
}

#[tokio::test]
async fn wrong_smtp_password_is_rejected_not_retryable() {
    let Some((server, _, Some((user, _)))) = env() else {
        eprintln!("note: STREAMPARK_IT_SMTP(_USER) not set; skipping the SMTP auth test");
        return;
    };
    let sink = sink(
        format!("smtp://{server}"),
        &Some((user, "not-the-password".into())),
        |b| b,
    );
    let err = sink
        .send(&Alert::new(Severity::Info, "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, AlertError::Rejected { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains("not-the-password"));
}

#[tokio::test]
async fn email_over_implicit_tls() {
    let (Some((_, out, auth)), Ok(smtps)) = (env(), std::env::var("STREAMPARK_IT_SMTPS")) else {
        eprintln!("note: STREAMPARK_IT_SMTPS not set; skipping the implicit-TLS test");
        return;
    };
    let marker = marker("smtps");
    let sink = sink(format!("smtps://{smtps}"), &auth, |b| {
        b.with_accept_invalid_certs(true)
    });
    assert!(format!("{sink:?}").contains("Implicit"));
    sink.send(&Alert::new(Severity::Info, format!("note {marker}")))
        .await
        .unwrap();
    let m = read_back(&out, &marker).await;
    assert_eq!(m["implicit_tls"], true, "{m}");
    assert_eq!(m["subject"], format!("[INFO] note {marker}"));
}
