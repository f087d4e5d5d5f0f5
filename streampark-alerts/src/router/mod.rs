//! The router: Alertmanager's routing tree, grouping, repeat and inhibition, in process.
//!
//! - **Routing**: the root route matches every alert. A route that matches tries its children
//!   in order; the first child that matches takes the alert unless it says `continue: true`,
//!   in which case later siblings are tried too. A route none of whose children match takes
//!   the alert itself. Children inherit `receiver`, `group_by` and the intervals.
//! - **Grouping**: each matching route puts the alert in the group named by the values of its
//!   `group_by` labels (`['...']`: all labels). A new group is notified after `group_wait`;
//!   later changes (new firing alerts, resolutions of notified ones) after `group_interval`; an
//!   unchanged firing group again after `repeat_interval`. A group of several alerts is sent
//!   as one summary alert.
//! - **Inhibition**: at notification time, a firing alert that matches a rule's
//!   `target_matchers` is muted while another firing alert matches its `source_matchers` with
//!   equal values for the rule's `equal` labels (a Critical for a job silences its Minor and
//!   Info alerts with [`InhibitRule::critical_silences_lesser`]).
//!
//! Time comes from the router's [`Clock`]: call [`Router::flush_due`] after advancing a
//! [`crate::VirtualClock`] in tests, or spawn [`Router::run`] in production.

mod config;
mod matcher;
mod receivers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use streampark_core::{Alert, AlertError, AlertSink, AlertStatus};

pub use config::{Route, RouterConfig};
pub use matcher::{MatchOp, Matcher};

use crate::clock::{self, Clock};

const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
const DEFAULT_GROUP_INTERVAL: Duration = Duration::from_secs(300);
const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

/// Mutes target alerts while a matching source alert fires.
#[derive(Debug, Clone)]
pub struct InhibitRule {
    source: Vec<Matcher>,
    target: Vec<Matcher>,
    equal: Vec<String>,
}

impl InhibitRule {
    /// A rule: while an alert matching every `source` matcher fires, alerts matching every
    /// `target` matcher with the same values of the `equal` labels are muted.
    pub fn new(source: Vec<Matcher>, target: Vec<Matcher>, equal: Vec<String>) -> Self {
        InhibitRule {
            source,
            target,
            equal,
        }
    }

    /// A Critical alert for a job silences that job's Minor and Info alerts.
    pub fn critical_silences_lesser() -> Self {
        let target = Matcher::new("severity", MatchOp::Regex, "minor|info")
            .unwrap_or_else(|_| Matcher::eq("severity", "minor"));
        InhibitRule::new(
            vec![Matcher::eq("severity", "critical")],
            vec![target],
            vec!["job".into()],
        )
    }
}

#[derive(Debug, Clone)]
enum GroupBy {
    Labels(Vec<String>),
    All,
}

#[derive(Debug)]
struct RouteNode {
    id: usize,
    receiver: String,
    matchers: Vec<Matcher>,
    cont: bool,
    group_by: GroupBy,
    group_wait: Duration,
    group_interval: Duration,
    repeat_interval: Duration,
    children: Vec<RouteNode>,
}

impl RouteNode {
    fn from_config(
        c: &config::RouteConfig,
        parent: Option<&RouteNode>,
        next_id: &mut usize,
    ) -> RouteNode {
        let id = *next_id;
        *next_id += 1;
        let group_by = match &c.group_by {
            Some(l) if l.iter().any(|x| x == "...") => GroupBy::All,
            Some(l) => GroupBy::Labels(l.clone()),
            None => parent.map_or(GroupBy::Labels(Vec::new()), |p| p.group_by.clone()),
        };
        let pick = |own: Option<config::Dur>, inherited: Option<Duration>, default: Duration| {
            own.map(|d| d.0).or(inherited).unwrap_or(default)
        };
        let mut r = RouteNode {
            id,
            receiver: c
                .receiver
                .clone()
                .or_else(|| parent.map(|p| p.receiver.clone()))
                .unwrap_or_default(),
            matchers: c.matchers.iter().map(|m| m.0.clone()).collect(),
            cont: c.cont,
            group_by,
            group_wait: pick(
                c.group_wait,
                parent.map(|p| p.group_wait),
                DEFAULT_GROUP_WAIT,
            ),
            group_interval: pick(
                c.group_interval,
                parent.map(|p| p.group_interval),
                DEFAULT_GROUP_INTERVAL,
            ),
            repeat_interval: pick(
                c.repeat_interval,
                parent.map(|p| p.repeat_interval),
                DEFAULT_REPEAT_INTERVAL,
            ),
            children: Vec::new(),
        };
        let children = c
            .routes
            .iter()
            .map(|k| RouteNode::from_config(k, Some(&r), next_id))
            .collect();
        r.children = children;
        r
    }

    fn matches(&self, alert: &Alert) -> bool {
        self.matchers.iter().all(|m| m.matches(alert))
    }

    /// Alertmanager's `Route.Match`: the deepest matching routes, honouring `continue`.
    fn collect<'a>(&'a self, alert: &Alert, out: &mut Vec<&'a RouteNode>) {
        let before = out.len();
        for c in &self.children {
            if c.matches(alert) {
                c.collect(alert, out);
                if !c.cont {
                    break;
                }
            }
        }
        if out.len() == before {
            out.push(self);
        }
    }

    fn group_labels(&self, alert: &Alert) -> BTreeMap<String, String> {
        match &self.group_by {
            GroupBy::All => alert.all_labels(),
            GroupBy::Labels(ls) => ls
                .iter()
                .map(|l| (l.clone(), alert.label(l).unwrap_or_default()))
                .collect(),
        }
    }
}

#[derive(Debug)]
struct Sent {
    at: Duration,
    firing: BTreeSet<String>,
}

#[derive(Debug)]
struct Group {
    receiver: String,
    labels: BTreeMap<String, String>,
    alerts: BTreeMap<String, Alert>,
    next_flush: Duration,
    group_interval: Duration,
    repeat_interval: Duration,
    last: Option<Sent>,
    in_flight: bool,
}

/// A notification being sent.
struct Job {
    key: (usize, String),
    receiver: String,
    group: String,
    note: Alert,
    firing: BTreeSet<String>,
    resolved: BTreeSet<String>,
    count: usize,
}

#[derive(Debug, Default)]
struct State {
    groups: BTreeMap<(usize, String), Group>,
    /// Firing alerts by fingerprint, for inhibition.
    active: HashMap<String, Alert>,
    /// When each firing alert was last ingested, for `resolve_timeout`.
    seen: HashMap<String, Duration>,
}

/// One notification to one sink of a receiver, as reported by [`Router::flush_due`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Delivery {
    /// The receiver.
    pub receiver: String,
    /// The sink of the receiver.
    pub sink: String,
    /// The group's labels, rendered `{job="orders"}`.
    pub group: String,
    /// How many alerts the notification summarised.
    pub alerts: usize,
    /// What the sink answered.
    pub result: Result<(), AlertError>,
}

struct Inner {
    root: RouteNode,
    receivers: HashMap<String, Vec<Arc<dyn AlertSink>>>,
    inhibit: Vec<InhibitRule>,
    resolve_timeout: Option<Duration>,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    wake: tokio::sync::Notify,
}

/// Routes alerts to receivers with Alertmanager's semantics (see the module docs). Cheap to
/// clone; clones share state. It is itself an [`AlertSink`]: `send` ingests the alert, and
/// [`Router::run`] (or [`Router::flush_due`]) delivers the notifications.
#[derive(Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.inner.receivers.keys().collect();
        names.sort();
        f.debug_struct("Router")
            .field("receivers", &names)
            .field("inhibit_rules", &self.inner.inhibit.len())
            .field("groups", &self.lock().groups.len())
            .finish()
    }
}

/// Builder of [`Router`].
#[must_use]
pub struct RouterBuilder {
    config: RouterConfig,
    extra: Vec<(String, Arc<dyn AlertSink>)>,
    inhibit: Vec<InhibitRule>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterBuilder")
            .field("receivers", &self.config.receiver_names())
            .field(
                "extra_sinks",
                &self
                    .extra
                    .iter()
                    .map(|(r, s)| format!("{r}/{}", s.name()))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl RouterBuilder {
    /// Adds a sink to the receiver `receiver` (which must be defined in the configuration).
    pub fn with_receiver_sink(self, receiver: impl Into<String>, sink: impl AlertSink) -> Self {
        self.with_receiver_arc(receiver, Arc::new(sink))
    }

    /// Adds a shared sink (a [`crate::SinkStack`]) to the receiver `receiver`.
    pub fn with_receiver_arc(
        mut self,
        receiver: impl Into<String>,
        sink: Arc<dyn AlertSink>,
    ) -> Self {
        self.extra.push((receiver.into(), sink));
        self
    }

    /// Adds an inhibition rule to those of the configuration.
    pub fn with_inhibit_rule(mut self, rule: InhibitRule) -> Self {
        self.inhibit.push(rule);
        self
    }

    /// Uses `clock` for grouping, repeat and the layers of file-built sinks.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the sinks of every receiver.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] for a sink whose settings are invalid (the sink's name is
    /// `receiver/kind`) or a sink added to an undefined receiver.
    pub fn build(self) -> Result<Router, AlertError> {
        self.config.validate()?;
        let mut receivers: HashMap<String, Vec<Arc<dyn AlertSink>>> = HashMap::new();
        for r in &self.config.receivers {
            receivers.insert(r.name.clone(), receivers::build(r, &self.clock)?);
        }
        for (name, sink) in self.extra {
            let Some(list) = receivers.get_mut(&name) else {
                return Err(AlertError::invalid_config(
                    "router",
                    "receivers",
                    format!("no receiver named `{name}` in the configuration"),
                ));
            };
            list.push(sink);
        }
        let mut inhibit: Vec<InhibitRule> = self
            .config
            .inhibit_rules
            .iter()
            .map(|r| InhibitRule {
                source: r.source_matchers.iter().map(|m| m.0.clone()).collect(),
                target: r.target_matchers.iter().map(|m| m.0.clone()).collect(),
                equal: r.equal.clone(),
            })
            .collect();
        inhibit.extend(self.inhibit);
        let mut next_id = 0;
        let root = RouteNode::from_config(&self.config.route, None, &mut next_id);
        Ok(Router {
            inner: Arc::new(Inner {
                root,
                receivers,
                inhibit,
                resolve_timeout: self.config.global.resolve_timeout.map(|d| d.0),
                clock: self.clock,
                state: Mutex::new(State::default()),
                wake: tokio::sync::Notify::new(),
            }),
        })
    }
}

fn render_labels(labels: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// One alert standing for a group: the alert itself, or a summary of several.
fn summarise(labels: &BTreeMap<String, String>, alerts: &[Alert]) -> Alert {
    if let [one] = alerts {
        return one.clone();
    }
    let severity = alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(streampark_core::Severity::Info);
    let firing = alerts.iter().filter(|a| !a.is_resolved()).count();
    let same_title = alerts.windows(2).all(|w| w[0].title == w[1].title);
    let title = match alerts.first() {
        Some(a) if same_title => format!("{} ({} alerts, {firing} firing)", a.title, alerts.len()),
        _ => format!(
            "{} alerts, {firing} firing, for {}",
            alerts.len(),
            render_labels(labels)
        ),
    };
    let mut text = String::new();
    for a in alerts {
        let state = if a.is_resolved() {
            "RESOLVED".to_string()
        } else {
            a.severity.as_str().to_uppercase()
        };
        let job = a
            .job
            .as_deref()
            .map(|j| format!(" ({j})"))
            .unwrap_or_default();
        let first = a.text.lines().next().unwrap_or_default();
        text.push_str(&format!(
            "- [{state}] {}{job}{}{first}\n",
            a.title,
            if first.is_empty() { "" } else { ": " }
        ));
    }
    let common = |f: fn(&Alert) -> Option<&String>| {
        let first = alerts.first().and_then(f)?;
        alerts
            .iter()
            .all(|a| f(a) == Some(first))
            .then(|| first.clone())
    };
    let mut out = Alert::new(severity, title)
        .with_text(text.trim_end())
        .with_starts_at(
            alerts
                .iter()
                .map(|a| a.starts_at)
                .min()
                .unwrap_or_else(std::time::SystemTime::now),
        )
        .with_fingerprint(format!(
            "group:{}",
            hex::encode(&Sha256::digest(render_labels(labels).as_bytes())[..8])
        ));
    out.job = common(|a| a.job.as_ref());
    out.team = common(|a| a.team.as_ref());
    for (k, v) in labels {
        if !matches!(k.as_str(), "alertname" | "severity" | "job" | "team") {
            out.labels.insert(k.clone(), v.clone());
        }
    }
    for a in alerts {
        for l in &a.links {
            if !out.links.contains(l) {
                out.links.push(l.clone());
            }
        }
    }
    if firing == 0 {
        out.status = AlertStatus::Resolved;
        out.ends_at = alerts.iter().filter_map(|a| a.ends_at).max();
    }
    out
}

impl Router {
    /// A builder over a parsed configuration (system clock by default).
    pub fn builder(config: RouterConfig) -> RouterBuilder {
        RouterBuilder {
            config,
            extra: Vec::new(),
            inhibit: Vec::new(),
            clock: clock::system(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The receivers an alert would go to (routing only; nothing is recorded).
    pub fn receivers_for(&self, alert: &Alert) -> Vec<String> {
        let mut routes = Vec::new();
        self.inner.root.collect(alert, &mut routes);
        let mut names: Vec<String> = routes.iter().map(|r| r.receiver.clone()).collect();
        names.dedup();
        names
    }

    /// Takes an alert in: records it for inhibition and puts it in the group of every matching
    /// route. Returns the receivers it was routed to. Nothing is sent until a flush.
    pub fn ingest(&self, alert: Alert) -> Vec<String> {
        let now = self.inner.clock.now();
        let fp = alert.fingerprint();
        let mut routes = Vec::new();
        self.inner.root.collect(&alert, &mut routes);
        let mut names = Vec::new();
        {
            let mut st = self.lock();
            if alert.is_resolved() {
                st.active.remove(&fp);
                st.seen.remove(&fp);
            } else {
                st.active.insert(fp.clone(), alert.clone());
                st.seen.insert(fp.clone(), now);
            }
            for r in &routes {
                let labels = r.group_labels(&alert);
                let key = render_labels(&labels);
                let g = st.groups.entry((r.id, key)).or_insert_with(|| Group {
                    receiver: r.receiver.clone(),
                    labels,
                    alerts: BTreeMap::new(),
                    next_flush: now.saturating_add(r.group_wait),
                    group_interval: r.group_interval,
                    repeat_interval: r.repeat_interval,
                    last: None,
                    in_flight: false,
                });
                g.alerts.insert(fp.clone(), alert.clone());
                if !names.contains(&r.receiver) {
                    names.push(r.receiver.clone());
                }
            }
        }
        tracing::debug!(fingerprint = %fp, severity = %alert.severity, receivers = ?names, "alert routed");
        self.inner.wake.notify_one();
        names
    }

    /// When the next group is due, if any.
    pub fn next_due(&self) -> Option<Duration> {
        self.lock()
            .groups
            .values()
            .filter(|g| !g.in_flight)
            .map(|g| g.next_flush)
            .min()
    }

    /// Sends the notifications of every group that is due now and reports each delivery.
    pub async fn flush_due(&self) -> Vec<Delivery> {
        self.flush(false).await
    }

    /// Sends the notifications of every group now, due or not (shutdown, one-shot tools).
    pub async fn flush_all(&self) -> Vec<Delivery> {
        self.flush(true).await
    }

    /// Resolves firing alerts not ingested again within `resolve_timeout`.
    fn expire(st: &mut State, resolve_timeout: Option<Duration>, now: Duration) {
        let Some(rt) = resolve_timeout else { return };
        let expired: Vec<String> = st
            .seen
            .iter()
            .filter(|(_, t)| t.saturating_add(rt) <= now)
            .map(|(fp, _)| fp.clone())
            .collect();
        if expired.is_empty() {
            return;
        }
        let at = std::time::SystemTime::now();
        for fp in &expired {
            st.seen.remove(fp);
            st.active.remove(fp);
            tracing::debug!(fingerprint = %fp, "alert not seen within resolve_timeout; resolved");
        }
        for g in st.groups.values_mut() {
            for fp in &expired {
                if let Some(a) = g.alerts.get_mut(fp)
                    && !a.is_resolved()
                {
                    *a = a.clone().resolved_at(at);
                }
            }
        }
    }

    /// Per rule: the firing source alerts, keyed by their values of the rule's `equal` labels.
    fn inhibitors(&self, st: &State) -> Vec<HashMap<Vec<Option<String>>, Vec<String>>> {
        self.inner
            .inhibit
            .iter()
            .map(|rule| {
                let mut by_key: HashMap<Vec<Option<String>>, Vec<String>> = HashMap::new();
                for (fp, src) in &st.active {
                    if rule.source.iter().all(|m| m.matches(src)) {
                        let key = rule.equal.iter().map(|l| src.label(l)).collect();
                        by_key.entry(key).or_default().push(fp.clone());
                    }
                }
                by_key
            })
            .collect()
    }

    fn is_inhibited(
        &self,
        inhibitors: &[HashMap<Vec<Option<String>>, Vec<String>>],
        target: &Alert,
        target_fp: &str,
    ) -> bool {
        self.inner
            .inhibit
            .iter()
            .zip(inhibitors)
            .any(|(rule, sources)| {
                if sources.is_empty() || !rule.target.iter().all(|m| m.matches(target)) {
                    return false;
                }
                let key: Vec<Option<String>> = rule.equal.iter().map(|l| target.label(l)).collect();
                // An alert never inhibits itself.
                sources
                    .get(&key)
                    .is_some_and(|fps| fps.iter().any(|fp| fp != target_fp))
            })
    }

    async fn flush(&self, all: bool) -> Vec<Delivery> {
        let now = self.inner.clock.now();
        let mut jobs: Vec<Job> = Vec::new();
        {
            let mut st = self.lock();
            Self::expire(&mut st, self.inner.resolve_timeout, now);
            let inhibitors = self.inhibitors(&st);
            let keys: Vec<(usize, String)> = st
                .groups
                .iter()
                .filter(|(_, g)| !g.in_flight && (all || g.next_flush <= now))
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                let Some(g) = st.groups.get(&key) else {
                    continue;
                };
                let mut shown = Vec::new();
                let mut firing = BTreeSet::new();
                let mut resolved = BTreeSet::new();
                for (fp, a) in &g.alerts {
                    if a.is_resolved() {
                        if g.last.as_ref().is_some_and(|l| l.firing.contains(fp)) {
                            resolved.insert(fp.clone());
                            shown.push(a.clone());
                        }
                    } else if !self.is_inhibited(&inhibitors, a, fp) {
                        firing.insert(fp.clone());
                        shown.push(a.clone());
                    } else {
                        tracing::debug!(fingerprint = %fp, "alert inhibited");
                    }
                }
                let send = match &g.last {
                    None => !firing.is_empty(),
                    Some(last) => {
                        !firing.is_subset(&last.firing)
                            || !resolved.is_empty()
                            || (!firing.is_empty()
                                && now.saturating_sub(last.at) >= g.repeat_interval)
                    }
                };
                let Some(g) = st.groups.get_mut(&key) else {
                    continue;
                };
                g.next_flush = now.saturating_add(g.group_interval);
                if send {
                    g.in_flight = true;
                    jobs.push(Job {
                        receiver: g.receiver.clone(),
                        group: render_labels(&g.labels),
                        note: summarise(&g.labels, &shown),
                        count: shown.len(),
                        key,
                        firing,
                        resolved,
                    });
                } else {
                    // Nothing to say: forget resolved alerts; drop the group when empty.
                    g.alerts.retain(|_, a| !a.is_resolved());
                    if g.alerts.is_empty() {
                        st.groups.remove(&key);
                    }
                }
            }
        }

        let mut deliveries = Vec::new();
        let sends = jobs.into_iter().map(|job| async move {
            let sinks = self
                .inner
                .receivers
                .get(&job.receiver)
                .cloned()
                .unwrap_or_default();
            let results = futures::future::join_all(sinks.iter().map(|s| {
                let note = &job.note;
                async move { (s.name().to_string(), s.send(note).await) }
            }))
            .await;
            (job, results)
        });
        for (job, results) in futures::future::join_all(sends).await {
            let Job {
                key,
                receiver,
                group,
                firing,
                resolved,
                count,
                ..
            } = job;
            let ok = results.iter().all(|(_, r)| r.is_ok());
            {
                let mut st = self.lock();
                if let Some(g) = st.groups.get_mut(&key) {
                    g.in_flight = false;
                    if ok {
                        g.last = Some(Sent { at: now, firing });
                        // Forget the resolutions just notified; one that arrived while the
                        // notification was in flight waits for the next flush.
                        g.alerts
                            .retain(|fp, a| !(a.is_resolved() && resolved.contains(fp)));
                        if g.alerts.is_empty() {
                            st.groups.remove(&key);
                        }
                    }
                }
            }
            for (sink, result) in results {
                if let Err(e) = &result {
                    tracing::warn!(receiver = %receiver, sink = %sink, group = %group, error = %e, "alert delivery failed");
                } else {
                    tracing::info!(receiver = %receiver, sink = %sink, group = %group, alerts = count, "alert delivered");
                }
                deliveries.push(Delivery {
                    receiver: receiver.clone(),
                    sink,
                    group: group.clone(),
                    alerts: count,
                    result,
                });
            }
        }
        deliveries
    }

    /// Delivers due notifications forever (spawn it: `tokio::spawn(async move { router.run().await })`).
    pub async fn run(&self) {
        loop {
            self.flush_due().await;
            let wake = self.inner.wake.notified();
            match self.next_due() {
                Some(at) => {
                    tokio::select! {
                        () = self.inner.clock.sleep_until(at) => {}
                        () = wake => {}
                    }
                }
                None => wake.await,
            }
        }
    }
}

#[async_trait::async_trait]
impl AlertSink for Router {
    fn name(&self) -> &str {
        "router"
    }

    /// Ingests the alert (see [`Router::ingest`]); delivery happens on flush.
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        self.ingest(alert.clone());
        Ok(())
    }
}
