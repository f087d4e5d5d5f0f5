//! Sends one alert and exits non-zero with the sink's error if it was not delivered.
//!
//! ```text
//! alert_send --sink dingtalk|wecom|feishu|slack|webhook --url URL [--secret S]
//!            --severity critical|major|minor|info --title T --text X
//!            [--at-mobile M]… [--at-user U]… [--label k=v]… [--job J] [--team T] [--link name=url]…
//! alert_send --sink email --smtp smtp://[user:pass@]HOST:PORT --from A --to B… (same alert flags)
//! alert_send --config alerts.yaml (same alert flags): routes the alert, prints the receivers
//! ```
//! Retries are on by default (`--max-attempts 3`; `--max-attempts 1` turns them off); each try
//! has a 10 s timeout.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use streampark::alerts::{
    AlertSink, DingTalkSink, EmailSink, FeishuSink, RetryLayer, Router, RouterConfig, SinkStack,
    SlackSink, TimeoutLayer, WeComSink, WebhookSink,
};
use streampark::{Alert, AlertError, Severity};

#[derive(Debug, Default)]
struct Args {
    sink: Option<String>,
    config: Option<String>,
    url: Option<String>,
    secret: Option<String>,
    smtp: Option<String>,
    from: Option<String>,
    to: Vec<String>,
    severity: Option<String>,
    title: Option<String>,
    text: String,
    job: Option<String>,
    team: Option<String>,
    at_mobiles: Vec<String>,
    at_users: Vec<String>,
    labels: Vec<(String, String)>,
    links: Vec<(String, String)>,
    max_attempts: u32,
}

const USAGE: &str = "usage: alert_send (--sink dingtalk|wecom|feishu|slack|webhook --url URL [--secret S] \
| --sink email --smtp smtp://HOST:PORT --from A --to B... | --config alerts.yaml) \
--severity critical|major|minor|info --title T [--text X] [--at-mobile M]... [--at-user U]... \
[--label k=v]... [--job J] [--team T] [--link name=url]... [--max-attempts N]";

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        max_attempts: 3,
        ..Args::default()
    };
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.into());
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let pair = |v: String| -> Result<(String, String), String> {
            v.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("{flag} expects key=value, got `{v}`"))
        };
        match flag.as_str() {
            "--sink" => a.sink = Some(value()?),
            "--config" => a.config = Some(value()?),
            "--url" => a.url = Some(value()?),
            "--secret" => a.secret = Some(value()?),
            "--smtp" => a.smtp = Some(value()?),
            "--from" => a.from = Some(value()?),
            "--to" => a.to.push(value()?),
            "--severity" => a.severity = Some(value()?),
            "--title" => a.title = Some(value()?),
            "--text" => a.text = value()?,
            "--job" => a.job = Some(value()?),
            "--team" => a.team = Some(value()?),
            "--at-mobile" => a.at_mobiles.push(value()?),
            "--at-user" => a.at_users.push(value()?),
            "--label" => a.labels.push(pair(value()?)?),
            "--link" => a.links.push(pair(value()?)?),
            "--max-attempts" => {
                a.max_attempts = value()?
                    .parse()
                    .map_err(|_| "--max-attempts expects a number".to_string())?
            }
            other => return Err(format!("unknown flag `{other}`\n{USAGE}")),
        }
    }
    if a.sink.is_none() == a.config.is_none() {
        return Err(format!("give exactly one of --sink and --config\n{USAGE}"));
    }
    Ok(a)
}

fn alert(a: &Args) -> Result<Alert, String> {
    let severity: Severity = a
        .severity
        .as_deref()
        .ok_or("--severity is required")?
        .parse()
        .map_err(|e| format!("--severity: {e}"))?;
    let mut alert = Alert::new(severity, a.title.clone().ok_or("--title is required")?)
        .with_text(a.text.clone());
    if let Some(j) = &a.job {
        alert = alert.with_job(j);
    }
    if let Some(t) = &a.team {
        alert = alert.with_team(t);
    }
    for (k, v) in &a.labels {
        alert = alert.with_label(k, v);
    }
    for (n, u) in &a.links {
        alert = alert.with_link(n, u);
    }
    Ok(alert)
}

fn sink(a: &Args) -> Result<Arc<dyn AlertSink>, AlertError> {
    let kind = a.sink.as_deref().unwrap_or_default();
    let url = a.url.clone().unwrap_or_default();
    let sink: Arc<dyn AlertSink> = match kind {
        "dingtalk" => {
            let mut b = DingTalkSink::builder().with_url(url);
            if let Some(s) = &a.secret {
                b = b.with_secret(s);
            }
            for m in &a.at_mobiles {
                b = b.with_at_mobile(m);
            }
            for u in &a.at_users {
                b = b.with_at_user_id(u);
            }
            Arc::new(b.build()?)
        }
        "wecom" => {
            let mut b = WeComSink::builder().with_url(url);
            for m in &a.at_mobiles {
                b = b.with_mentioned_mobile(m);
            }
            for u in &a.at_users {
                b = b.with_mentioned_user(u);
            }
            Arc::new(b.build()?)
        }
        "feishu" => {
            let mut b = FeishuSink::builder().with_url(url);
            if let Some(s) = &a.secret {
                b = b.with_secret(s);
            }
            for u in &a.at_users {
                b = b.with_at_user(u);
            }
            Arc::new(b.build()?)
        }
        "slack" => {
            let mut b = SlackSink::builder().with_url(url);
            for u in &a.at_users {
                b = b.with_mention_user(u);
            }
            Arc::new(b.build()?)
        }
        "webhook" => {
            let mut b = WebhookSink::builder().with_url(url);
            if let Some(s) = &a.secret {
                b = b.with_signing_secret(s);
            }
            Arc::new(b.build()?)
        }
        "email" => {
            let mut b = EmailSink::builder()
                .with_url(a.smtp.clone().unwrap_or_default())
                .with_from(a.from.clone().unwrap_or_default());
            for t in &a.to {
                b = b.with_to(t);
            }
            Arc::new(b.build()?)
        }
        other => {
            return Err(AlertError::invalid_config(
                "alert_send",
                "--sink",
                format!("`{other}` is not one of dingtalk, wecom, feishu, slack, webhook, email"),
            ));
        }
    };
    Ok(SinkStack::from_arc(sink)
        .layer(TimeoutLayer::new(Duration::from_secs(10)))
        .layer(RetryLayer::new().with_max_attempts(a.max_attempts))
        .into_sink())
}

/// The error and its causes, one per line.
fn report(e: &AlertError) -> String {
    let mut s = format!("error: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(&format!("\n  caused by: {c}"));
        src = c.source();
    }
    s
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,streampark_alerts=info")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let alert = match alert(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    if let Some(path) = &args.config {
        let router = match RouterConfig::from_path(path).and_then(|c| Router::builder(c).build()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}", report(&e));
                return ExitCode::from(2);
            }
        };
        let receivers = router.ingest(alert);
        println!("routed to: {}", receivers.join(", "));
        let deliveries = router.flush_all().await;
        let mut failed = 0;
        for d in &deliveries {
            match &d.result {
                Ok(()) => println!("{} ({}): delivered", d.receiver, d.sink),
                Err(e) => {
                    failed += 1;
                    println!("{} ({}): FAILED\n{}", d.receiver, d.sink, report(e));
                }
            }
        }
        if deliveries.is_empty() {
            println!("no sink delivered it (receivers without sinks, or inhibited)");
        }
        return if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }

    let sink = match sink(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", report(&e));
            return ExitCode::from(2);
        }
    };
    match sink.send(&alert).await {
        Ok(()) => {
            println!("delivered via {}", sink.name());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", report(&e));
            ExitCode::FAILURE
        }
    }
}
