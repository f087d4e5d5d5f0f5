//! Routing, grouping, repeat and inhibition on a virtual clock.

mod common;

use std::sync::Arc;
use std::time::Duration;

use streampark_alerts::{Clock, InhibitRule, MemorySink, Router, RouterConfig, VirtualClock};
use streampark_core::{Alert, AlertError, Severity};

const CONFIG: &str = r#"
route:
  receiver: ops
  group_by: [job]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: oncall
      matchers: ['severity="critical"']
      continue: true
    - receiver: ads
      matchers: ['team=~"ads|search"', 'env!="staging"']
      group_by: [team, alertname]
      routes:
        - receiver: ads-lead
          matchers: ['severity=~"critical|major"']
    - receiver: never
      matchers: ['severity="critical"']
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity=~"minor|info"']
    equal: [job]
receivers:
  - name: ops
  - name: oncall
  - name: ads
  - name: ads-lead
  - name: never
"#;

struct Fixture {
    clock: VirtualClock,
    router: Router,
    ops: MemorySink,
    oncall: MemorySink,
    ads: MemorySink,
    lead: MemorySink,
}

fn fixture(config: &str) -> Fixture {
    let clock = VirtualClock::new();
    let (ops, oncall, ads, lead) = (
        MemorySink::new(),
        MemorySink::new(),
        MemorySink::new(),
        MemorySink::new(),
    );
    let mut b = Router::builder(RouterConfig::from_yaml_str(config).unwrap())
        .with_clock(Arc::new(clock.clone()))
        .with_receiver_sink("ops", ops.clone());
    if config.contains("oncall") {
        b = b
            .with_receiver_sink("oncall", oncall.clone())
            .with_receiver_sink("ads", ads.clone())
            .with_receiver_sink("ads-lead", lead.clone());
    }
    Fixture {
        clock,
        router: b.build().unwrap(),
        ops,
        oncall,
        ads,
        lead,
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn crit(job: &str) -> Alert {
    Alert::new(Severity::Critical, "job down").with_job(job)
}

fn minor(job: &str) -> Alert {
    Alert::new(Severity::Minor, "checkpoint slow").with_job(job)
}

#[test]
fn routes_first_match_continue_nesting_and_default() {
    let f = fixture(CONFIG);
    let r = &f.router;
    // critical: oncall continues, then the next sibling (ads) does not match, `never` is
    // reached because oncall continued... but `ads` did not match, so `never` matches too.
    assert_eq!(r.receivers_for(&crit("orders")), ["oncall", "never"]);
    // critical for team ads: oncall (continue), then ads -> its child ads-lead wins; stops there.
    assert_eq!(
        r.receivers_for(&crit("orders").with_team("ads")),
        ["oncall", "ads-lead"]
    );
    // minor for team search: ads, no child matches -> ads itself.
    assert_eq!(r.receivers_for(&minor("x").with_team("search")), ["ads"]);
    // != : staging ads alerts fall through to the default.
    assert_eq!(
        r.receivers_for(&minor("x").with_team("ads").with_label("env", "staging")),
        ["ops"]
    );
    // Nothing matches: the root's receiver.
    assert_eq!(
        r.receivers_for(&Alert::new(Severity::Info, "hello")),
        ["ops"]
    );
}

#[tokio::test]
async fn group_wait_batches_a_job_into_one_notification() {
    let f = fixture(CONFIG);
    f.router.ingest(minor("orders"));
    f.clock.advance(secs(10));
    f.router
        .ingest(Alert::new(Severity::Major, "restarting").with_job("orders"));
    f.router.ingest(minor("clicks"));
    f.clock.advance(secs(19));
    assert!(f.router.flush_due().await.is_empty(), "29 s < group_wait");
    assert!(f.ops.is_empty());
    f.clock.advance(secs(1));
    let d = f.router.flush_due().await;
    assert_eq!(d.len(), 1, "the orders group is due at 30 s: {d:?}");
    let got = f.ops.alerts();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].severity,
        Severity::Major,
        "summary takes the worst severity"
    );
    assert!(got[0].title.starts_with("2 alerts"), "{}", got[0].title);
    assert!(got[0].text.contains("checkpoint slow") && got[0].text.contains("restarting"));
    assert_eq!(got[0].job.as_deref(), Some("orders"));
    f.clock.advance(secs(10));
    f.router.flush_due().await;
    assert_eq!(
        f.ops.len(),
        2,
        "clicks group was created at 10 s, due at 40 s"
    );
    assert_eq!(f.ops.alerts()[1].title, "checkpoint slow");
}

#[tokio::test]
async fn changes_wait_for_group_interval_and_unchanged_groups_repeat() {
    let f = fixture(CONFIG);
    f.router.ingest(minor("orders"));
    f.clock.advance(secs(30));
    f.router.flush_due().await;
    assert_eq!(f.ops.len(), 1);
    // Re-sent identical alert: nothing new at the next interval.
    f.router.ingest(minor("orders"));
    f.clock.advance(secs(300));
    f.router.flush_due().await;
    assert_eq!(f.ops.len(), 1, "unchanged within repeat_interval");
    // A new alert joins: notified at the next group_interval tick, not at once.
    f.clock.advance(secs(60));
    f.router
        .ingest(Alert::new(Severity::Minor, "backpressure").with_job("orders"));
    f.router.flush_due().await;
    assert_eq!(f.ops.len(), 1);
    f.clock.advance(secs(240));
    f.router.flush_due().await;
    assert_eq!(f.ops.len(), 2);
    assert!(f.ops.alerts()[1].title.starts_with("2 alerts"));
    // Unchanged for 4 h: repeated.
    let mut sent_at = Vec::new();
    for _ in 0..60 {
        f.clock.advance(secs(300));
        let before = f.ops.len();
        f.router.flush_due().await;
        if f.ops.len() > before {
            sent_at.push(f.clock.now().as_secs());
        }
    }
    // Last notification at 630 s; the first tick at or after 630 + 4 h is 15030 s.
    assert_eq!(sent_at.first(), Some(&15_030), "{sent_at:?}");
}

#[tokio::test]
async fn resolution_is_notified_once_and_closes_the_group() {
    let f = fixture(CONFIG);
    let a = minor("orders");
    f.router.ingest(a.clone());
    f.clock.advance(secs(30));
    f.router.flush_due().await;
    f.router
        .ingest(a.clone().resolved_at(std::time::SystemTime::now()));
    f.clock.advance(secs(300));
    f.router.flush_due().await;
    let got = f.ops.alerts();
    assert_eq!(got.len(), 2);
    assert!(got[1].is_resolved());
    assert_eq!(got[1].fingerprint(), a.fingerprint());
    assert_eq!(f.router.next_due(), None, "group closed");
    // A resolution for an alert never notified is not sent.
    let b = minor("clicks");
    f.router.ingest(b.clone());
    f.router.ingest(b.resolved_at(std::time::SystemTime::now()));
    f.clock.advance(secs(30));
    f.router.flush_due().await;
    assert_eq!(f.ops.len(), 2);
}

#[tokio::test]
async fn critical_inhibits_minor_of_the_same_job_only() {
    let f = fixture(CONFIG);
    f.router.ingest(crit("orders"));
    f.router.ingest(minor("orders"));
    f.router.ingest(minor("clicks"));
    f.clock.advance(secs(30));
    f.router.flush_due().await;
    // oncall gets the critical; ops gets only clicks' minor (orders' minor is muted).
    assert_eq!(
        f.oncall
            .alerts()
            .iter()
            .map(|a| a.title.as_str())
            .collect::<Vec<_>>(),
        ["job down"]
    );
    let ops: Vec<_> = f
        .ops
        .alerts()
        .iter()
        .map(|a| (a.title.clone(), a.job.clone()))
        .collect();
    assert_eq!(
        ops,
        [("checkpoint slow".to_string(), Some("clicks".to_string()))]
    );
    // The critical resolves: the minor is no longer muted and goes out at the next interval.
    f.router
        .ingest(crit("orders").resolved_at(std::time::SystemTime::now()));
    f.clock.advance(secs(300));
    f.router.flush_due().await;
    let ops: Vec<_> = f.ops.alerts().iter().map(|a| a.job.clone()).collect();
    assert_eq!(
        ops,
        [Some("clicks".to_string()), Some("orders".to_string())]
    );
}

#[tokio::test]
async fn programmatic_inhibit_rule() {
    let src = "route:\n  receiver: ops\n  group_by: ['...']\n  group_wait: 0s\nreceivers:\n  - name: ops\n";
    let clock = VirtualClock::new();
    let ops = MemorySink::new();
    let router = Router::builder(RouterConfig::from_yaml_str(src).unwrap())
        .with_clock(Arc::new(clock.clone()))
        .with_receiver_sink("ops", ops.clone())
        .with_inhibit_rule(InhibitRule::critical_silences_lesser())
        .build()
        .unwrap();
    router.ingest(crit("a"));
    router.ingest(Alert::new(Severity::Info, "note").with_job("a"));
    router.ingest(Alert::new(Severity::Major, "lag").with_job("a"));
    router.flush_due().await;
    let mut titles: Vec<_> = ops.alerts().iter().map(|a| a.title.clone()).collect();
    titles.sort();
    assert_eq!(titles, ["job down", "lag"], "info muted, major not");
}

#[tokio::test]
async fn failed_delivery_is_tried_again_next_interval() {
    let f = fixture(CONFIG);
    f.ops.fail_next(AlertError::Timeout {
        sink: "memory".into(),
        after: secs(5),
    });
    f.router.ingest(minor("orders"));
    f.clock.advance(secs(30));
    let d = f.router.flush_due().await;
    assert!(d[0].result.is_err());
    assert!(f.ops.is_empty());
    f.clock.advance(secs(300));
    let d = f.router.flush_due().await;
    assert!(d[0].result.is_ok(), "{d:?}");
    assert_eq!(f.ops.len(), 1);
    assert_eq!(
        (d[0].receiver.as_str(), d[0].sink.as_str()),
        ("ops", "memory")
    );
}

#[tokio::test]
async fn run_loop_delivers_on_the_clock() {
    let f = fixture(CONFIG);
    let router = f.router.clone();
    let task = tokio::spawn(async move { router.run().await });
    f.router.ingest(crit("orders").with_team("ads"));
    // Wait (bounded) for the loop to go to sleep until group_wait.
    for _ in 0..1000 {
        if f.clock.pending() > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(f.clock.next_deadline(), Some(secs(30)));
    f.clock.advance(secs(30));
    for _ in 0..1000 {
        if f.oncall.len() == 1 && f.lead.len() == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        (f.oncall.len(), f.lead.len(), f.ads.len(), f.ops.len()),
        (1, 1, 0, 0)
    );
    task.abort();
}

#[test]
fn sinks_must_name_a_defined_receiver() {
    let e = Router::builder(RouterConfig::from_yaml_str(CONFIG).unwrap())
        .with_receiver_sink("opz", MemorySink::new())
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("`opz`"), "{e}");
}

#[tokio::test]
async fn file_built_receivers_reach_the_chat_endpoints() {
    let clock = VirtualClock::new();
    let r = common::Receiver::start(clock.clone()).await;
    let yaml = format!(
        "route:\n  receiver: team\n  group_wait: 0s\n  routes:\n    - receiver: oncall\n      matchers: ['severity=\"critical\"']\nreceivers:\n  - name: oncall\n    dingtalk_configs:\n      - url: '{}'\n        secret: '{}'\n        at_mobiles: ['13800000009']\n  - name: team\n    wecom_configs:\n      - url: '{}'\n",
        r.dingtalk_url(common::DT_TOKEN),
        common::DT_SECRET,
        r.wecom_url(common::WECOM_KEY)
    );
    let router = Router::builder(RouterConfig::from_yaml_str(&yaml).unwrap())
        .with_clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    router.ingest(crit("orders"));
    router.ingest(minor("clicks"));
    let d = router.flush_due().await;
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| d.result.is_ok()), "{d:?}");
    let mut vendors: Vec<_> = r
        .seen()
        .iter()
        .map(|s| (s.vendor, s.answer.clone()))
        .collect();
    vendors.sort();
    assert_eq!(
        vendors,
        [("dingtalk", "ok".to_string()), ("wecom", "ok".to_string())]
    );
    let dt = r
        .seen()
        .into_iter()
        .find(|s| s.vendor == "dingtalk")
        .unwrap();
    assert_eq!(dt.body["at"]["atMobiles"][0], "13800000009");
}

/// Each chat kind reads from a file entry exactly the keys it takes: the mentions it knows,
/// the signing secret if it signs, the title template if it has one. Keys a kind does not
/// take are ignored, even when they could not be used (an unset variable, a broken template).
#[tokio::test]
async fn file_built_chat_sinks_take_their_own_keys() {
    let clock = VirtualClock::new();
    let r = common::Receiver::start(clock.clone()).await;
    let yaml = format!(
        r#"
route: {{receiver: all, group_wait: 0s}}
receivers:
  - name: all
    dingtalk_configs:
      - {{url: '{dt}', secret: '{dt_secret}', at_mobiles: ['13800000009'], at_user_ids: [mgr1],
          at_emails: [dt@example.com], at_all: true}}
    wecom_configs:
      - {{url: '{wc}', secret: '${{STREAMPARK_SURELY_UNSET_VAR_2}}', at_mobiles: ['13800000008'],
          at_user_ids: [zhang], at_all: true}}
    feishu_configs:
      - {{url: '{fs}', secret: '{fs_secret}', at_mobiles: ['13800000007'], at_user_ids: [ou_1],
          at_emails: [fs@example.com], at_all: true}}
    slack_configs:
      - {{url: '{sl}', at_mobiles: ['13800000006'], at_user_ids: [U1], at_all: true,
          title_template: 'custom {{{{ alert.title }}}}'}}
    webhook_configs:
      - {{url: '{wh}', secret: '{wh_secret}', title_template: '{{{{ broken', at_all: true}}
"#,
        dt = r.dingtalk_url(common::DT_TOKEN),
        dt_secret = common::DT_SECRET,
        wc = r.wecom_url(common::WECOM_KEY),
        fs = r.feishu_url(common::FS_TOKEN),
        fs_secret = common::FS_SECRET,
        sl = r.slack_url(common::SLACK_PATH),
        wh = r.webhook_url(),
        wh_secret = common::WH_SECRET,
    );
    let router = Router::builder(RouterConfig::from_yaml_str(&yaml).unwrap())
        .with_clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    router.ingest(crit("orders"));
    let d = router.flush_due().await;
    assert!(d.iter().all(|d| d.result.is_ok()), "{d:?}");
    let seen = r.seen();
    let mut answers: Vec<_> = seen.iter().map(|s| (s.vendor, s.answer.as_str())).collect();
    answers.sort();
    assert_eq!(
        answers,
        [
            ("dingtalk", "ok"),
            ("feishu", "ok"),
            ("slack", "ok"),
            ("webhook", "ok"),
            ("wecom", "ok")
        ]
    );
    let body = |vendor| &seen.iter().find(|s| s.vendor == vendor).unwrap().body;

    let dt = body("dingtalk");
    assert_eq!(dt["at"]["atMobiles"], serde_json::json!(["13800000009"]));
    assert_eq!(dt["at"]["atUserIds"], serde_json::json!(["mgr1"]));
    assert_eq!(dt["at"]["isAtAll"], true);
    assert!(!dt.to_string().contains("dt@example.com"), "{dt}");

    let wc = body("wecom");
    assert_eq!(wc["msgtype"], "text", "{wc}");
    assert_eq!(
        wc["text"]["mentioned_mobile_list"],
        serde_json::json!(["13800000008"])
    );
    assert_eq!(
        wc["text"]["mentioned_list"],
        serde_json::json!(["zhang", "@all"])
    );

    let fs = body("feishu");
    let md = fs["card"]["elements"][0]["text"]["content"]
        .as_str()
        .unwrap();
    assert!(
        md.contains("<at id=ou_1></at> <at email=fs@example.com></at> <at id=all></at>"),
        "{md}"
    );
    assert!(!fs.to_string().contains("13800000007"), "{fs}");

    let sl = body("slack");
    assert_eq!(sl["text"], "custom job down");
    let text = sl["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(text.contains("<!channel> <@U1>"), "{text}");
    assert!(!sl.to_string().contains("13800000006"), "{sl}");

    assert_eq!(body("webhook")["title"], "job down");
}

#[tokio::test]
async fn routes_built_in_code() {
    use streampark_alerts::{Matcher, Route};
    let clock = VirtualClock::new();
    let (ops, oncall, ads) = (MemorySink::new(), MemorySink::new(), MemorySink::new());
    let config = RouterConfig::new("ops")
        .with_group_by(["job"])
        .with_group_wait(secs(10))
        .with_route(
            Route::new("oncall")
                .with_matcher(Matcher::severity_at_least(Severity::Critical))
                .with_continue(true),
        )
        .with_route(
            Route::new("ads")
                .with_matcher(Matcher::eq("team", "ads"))
                .with_group_wait(secs(60)),
        );
    let router = Router::builder(config)
        .with_clock(Arc::new(clock.clone()))
        .with_receiver_sink("ops", ops.clone())
        .with_receiver_sink("oncall", oncall.clone())
        .with_receiver_sink("ads", ads.clone())
        .with_inhibit_rule(InhibitRule::critical_silences_lesser())
        .build()
        .unwrap();
    assert_eq!(
        router.ingest(crit("orders").with_team("ads")),
        ["oncall", "ads"]
    );
    assert_eq!(router.ingest(minor("clicks")), ["ops"]);
    clock.advance(secs(10));
    router.flush_due().await;
    assert_eq!((oncall.len(), ads.len(), ops.len()), (1, 0, 1));
    clock.advance(secs(50));
    router.flush_due().await;
    assert_eq!(ads.len(), 1, "the ads route waits its own 60 s");
    let bad = Router::builder(RouterConfig::new("ops").with_route(Route::new("x")))
        .with_receiver_sink("y", MemorySink::new())
        .build();
    assert!(bad.unwrap_err().to_string().contains("`y`"));
}

#[tokio::test]
async fn resolve_timeout_resolves_alerts_that_stop_coming() {
    let src = "global:\n  resolve_timeout: 5m\nroute:\n  receiver: ops\n  group_by: [job]\n  group_wait: 30s\n  group_interval: 1m\nreceivers:\n  - name: ops\n";
    let clock = VirtualClock::new();
    let ops = MemorySink::new();
    let router = Router::builder(RouterConfig::from_yaml_str(src).unwrap())
        .with_clock(Arc::new(clock.clone()))
        .with_receiver_sink("ops", ops.clone())
        .build()
        .unwrap();
    router.ingest(minor("orders"));
    router.ingest(minor("clicks"));
    clock.advance(secs(30));
    router.flush_due().await;
    assert_eq!(ops.len(), 2);
    // `clicks` keeps coming; `orders` stops.
    for _ in 0..5 {
        clock.advance(secs(60));
        router.ingest(minor("clicks"));
        router.flush_due().await;
    }
    // At 330 s, orders was last seen at 0 s (> 5 min ago): its resolution goes out.
    let got = ops.alerts();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[2].is_resolved() && got[2].job.as_deref() == Some("orders"));
}

#[tokio::test]
async fn send_resolved_false_skips_resolutions() {
    let clock = VirtualClock::new();
    let r = common::Receiver::start(clock.clone()).await;
    let yaml = format!(
        "route:\n  receiver: hooks\n  group_wait: 0s\n  group_interval: 1m\nreceivers:\n  - name: hooks\n    webhook_configs:\n      - url: '{}/hook'\n        secret: '{}'\n        send_resolved: false\n",
        r.base(),
        common::WH_SECRET
    );
    let router = Router::builder(RouterConfig::from_yaml_str(&yaml).unwrap())
        .with_clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    router.ingest(minor("orders"));
    router.flush_due().await;
    router.ingest(minor("orders").resolved_at(std::time::SystemTime::now()));
    clock.advance(secs(60));
    let d = router.flush_due().await;
    assert_eq!(d.len(), 1, "the resolution was processed");
    assert!(d[0].result.is_ok());
    let seen = r.seen();
    assert_eq!(
        seen.len(),
        1,
        "only the firing notification reached the webhook"
    );
    assert_eq!(seen[0].body["status"], "firing");
}
