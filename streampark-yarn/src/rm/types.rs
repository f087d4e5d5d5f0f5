//! ResourceManager REST payloads (`/ws/v1/cluster/...`), as Hadoop's ResourceManagerRest.md
//! documents them. Unknown fields are ignored; enums keep an `Unknown` arm for values newer
//! Hadoop releases may add.

use serde::{Deserialize, Serialize};

/// High-availability state of one ResourceManager (`clusterInfo.haState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum HaState {
    /// Starting up.
    Initializing,
    /// Serves every request.
    Active,
    /// Redirects `/ws/v1` requests (except `/ws/v1/cluster/info`) to the active RM.
    Standby,
    /// Stopped.
    Stopped,
    /// A value this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// `GET /ws/v1/cluster/info` → `clusterInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClusterInfo {
    /// Cluster id (the RM start time on most releases).
    #[serde(default)]
    pub id: i64,
    /// When the RM started, ms since the epoch.
    #[serde(default)]
    pub started_on: i64,
    /// Service state (`STARTED`, …).
    #[serde(default)]
    pub state: String,
    /// HA state; `None` on RMs that do not report it.
    #[serde(default)]
    pub ha_state: Option<HaState>,
    /// Hadoop version.
    #[serde(default)]
    pub hadoop_version: String,
    /// ResourceManager version.
    #[serde(default)]
    pub resource_manager_version: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClusterInfoWrapper {
    pub(crate) cluster_info: ClusterInfo,
}

/// State of a YARN application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum AppState {
    /// Just created.
    New,
    /// Being saved to the state store.
    NewSaving,
    /// Submitted to the scheduler.
    Submitted,
    /// Accepted, waiting for its application master.
    Accepted,
    /// The application master runs.
    Running,
    /// Ended (see the final status for success or failure).
    Finished,
    /// Failed.
    Failed,
    /// Killed.
    Killed,
    /// A value this SDK does not know.
    #[serde(other)]
    Unknown,
}

impl AppState {
    /// Finished, failed or killed.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            AppState::Finished | AppState::Failed | AppState::Killed
        )
    }
    /// The name the RM uses (`RUNNING`).
    pub fn as_str(self) -> &'static str {
        match self {
            AppState::New => "NEW",
            AppState::NewSaving => "NEW_SAVING",
            AppState::Submitted => "SUBMITTED",
            AppState::Accepted => "ACCEPTED",
            AppState::Running => "RUNNING",
            AppState::Finished => "FINISHED",
            AppState::Failed => "FAILED",
            AppState::Killed => "KILLED",
            AppState::Unknown => "UNKNOWN",
        }
    }
}

/// `finalStatus` of a YARN application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FinalStatus {
    /// Not ended yet.
    Undefined,
    /// Succeeded.
    Succeeded,
    /// Failed.
    Failed,
    /// Killed.
    Killed,
    /// Ended without a verdict (Hadoop 3).
    Ended,
    /// A value this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// One application (`GET /ws/v1/cluster/apps/{id}` → `app`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct App {
    /// `application_<cluster ts>_<n>`.
    pub id: String,
    /// Owner.
    #[serde(default)]
    pub user: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Queue.
    #[serde(default)]
    pub queue: String,
    /// State.
    pub state: AppState,
    /// Final status.
    #[serde(default = "undefined")]
    pub final_status: FinalStatus,
    /// Tracking URL: the RM proxy URL `http://<rm>/proxy/<id>/` while it runs.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// Why the application is in its state (the failure text of a failed application).
    #[serde(default)]
    pub diagnostics: String,
    /// `Apache Flink` for Flink applications.
    #[serde(default)]
    pub application_type: String,
    /// Tags as YARN returns them: one comma-separated, lower-cased string.
    #[serde(default)]
    pub application_tags: String,
    /// Start time, ms since the epoch.
    #[serde(default)]
    pub started_time: i64,
    /// Finish time, ms since the epoch; 0 while running.
    #[serde(default)]
    pub finished_time: i64,
    /// The application master's container logs page (HTML on the NodeManager).
    #[serde(default)]
    pub am_container_logs: Option<String>,
    /// The NodeManager web address of the application master's host.
    #[serde(default)]
    pub am_host_http_address: Option<String>,
    /// What the AM registered: for Flink `<jobmanager host>:<rest port>`.
    #[serde(default, rename = "amRPCAddress")]
    pub am_rpc_address: Option<String>,
}

fn undefined() -> FinalStatus {
    FinalStatus::Undefined
}

impl App {
    /// The tags, split at commas.
    pub fn tags(&self) -> Vec<&str> {
        self.application_tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AppWrapper {
    pub(crate) app: App,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AppsWrapper {
    /// `{"apps": {}}` when nothing matches (Hadoop 3.4; its docs show `{"apps": null}`).
    pub(crate) apps: Option<AppList>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AppList {
    #[serde(default)]
    pub(crate) app: Vec<App>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StateBody {
    pub(crate) state: AppState,
}

/// One application attempt (`/apps/{id}/appattempts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppAttempt {
    /// Attempt number (1, 2, …); Hadoop calls it `id` (a number, or a string on some releases).
    #[serde(deserialize_with = "number_or_string")]
    pub id: i64,
    /// Full attempt id (`appattempt_…`), on Hadoop 3.
    #[serde(default)]
    pub app_attempt_id: Option<String>,
    /// Start time, ms.
    #[serde(default)]
    pub start_time: i64,
    /// Finish time, ms (0 while running).
    #[serde(default)]
    pub finished_time: i64,
    /// The AM container.
    #[serde(default)]
    pub container_id: String,
    /// `host:port` of the NodeManager.
    #[serde(default)]
    pub node_id: String,
    /// The NodeManager web address.
    #[serde(default)]
    pub node_http_address: String,
    /// The AM container's logs page.
    #[serde(default)]
    pub logs_link: String,
    /// Attempt state, on Hadoop 3.
    #[serde(default)]
    pub app_attempt_state: Option<String>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Num(i64),
        Str(String),
    }
    match N::deserialize(d)? {
        N::Num(n) => Ok(n),
        N::Str(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttemptsWrapper {
    pub(crate) app_attempts: Option<AttemptList>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttemptList {
    #[serde(default)]
    pub(crate) app_attempt: Vec<AppAttempt>,
}

/// One container of an attempt (`/apps/{id}/appattempts/{attempt}/containers`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Container {
    /// `container_…`.
    pub container_id: String,
    /// Memory, MB (Hadoop 3.4 sends `allocatedMB` as a string, `"1024"`).
    #[serde(default, rename = "allocatedMB", deserialize_with = "number_or_string")]
    pub allocated_mb: i64,
    /// Virtual cores (a string on Hadoop 3.4, as `allocatedMB`).
    #[serde(default, deserialize_with = "number_or_string")]
    pub allocated_v_cores: i64,
    /// NodeManager id.
    #[serde(default)]
    pub assigned_node_id: String,
    /// Container state.
    #[serde(default)]
    pub container_state: String,
    /// NodeManager web address.
    #[serde(default)]
    pub node_http_address: String,
    /// Log page.
    #[serde(default)]
    pub log_url: String,
}

/// Hadoop 3 answers `{"containers": {"container": [...]}}`; 3.4 drops the root
/// (`{"container": [...]}`) and renders a one-element list as the element itself
/// (`{"container": {...}}`).
#[derive(Debug, Deserialize)]
pub(crate) struct ContainersWrapper {
    #[serde(default)]
    pub(crate) containers: Option<ContainerList>,
    #[serde(default, deserialize_with = "some_one_or_many")]
    pub(crate) container: Option<Vec<Container>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ContainerList {
    #[serde(default, deserialize_with = "one_or_many")]
    pub(crate) container: Vec<Container>,
}

/// A JSON list, or its only element in Jersey's single-element rendering; `null` is empty.
fn one_or_many<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        Null(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(t) => vec![t],
        OneOrMany::Null(()) => Vec::new(),
    })
}

fn some_one_or_many<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    one_or_many(d).map(Some)
}

/// One queue of the scheduler (`/ws/v1/cluster/scheduler`), as
/// [`super::ResourceManagerClient::queues`] lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Queue {
    /// The queue's own name (`streaming`); applications name leaf queues by it.
    pub name: String,
    /// Its full path from the root (`root.streaming`).
    pub path: String,
    /// Whether it is a leaf (only leaves accept applications).
    pub leaf: bool,
    /// `RUNNING` or `STOPPED` when the scheduler reports it.
    pub state: Option<String>,
}

impl Queue {
    /// Whether `name` designates this queue (its own name or its full path, the two ways
    /// `yarn.application.queue` can name it).
    pub fn is_named(&self, name: &str) -> bool {
        let n = name.trim();
        self.name == n || self.path == n || self.path.strip_prefix("root.") == Some(n)
    }
}

/// Filters for [`super::ResourceManagerClient::apps`]; all of them go into one request.
///
/// ```
/// use streampark_yarn::rm::{AppQuery, AppState};
/// let q = AppQuery::new().with_tag("streampark").with_state(AppState::Running).with_type("Apache Flink");
/// assert_eq!(q.tags(), ["streampark"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppQuery {
    tags: Vec<String>,
    states: Vec<AppState>,
    types: Vec<String>,
    queue: Option<String>,
    limit: Option<u32>,
}

impl AppQuery {
    /// Every application.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a tag (an app matches if it has any of the tags). YARN lower-cases tags, so this
    /// does too.
    #[must_use]
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into().to_lowercase());
        self
    }
    /// Adds a state.
    #[must_use]
    pub fn with_state(mut self, s: AppState) -> Self {
        self.states.push(s);
        self
    }
    /// Adds an application type (`Apache Flink`).
    #[must_use]
    pub fn with_type(mut self, t: impl Into<String>) -> Self {
        self.types.push(t.into());
        self
    }
    /// Only apps in this queue.
    #[must_use]
    pub fn with_queue(mut self, q: impl Into<String>) -> Self {
        self.queue = Some(q.into());
        self
    }
    /// At most `n` apps.
    #[must_use]
    pub fn with_limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
    /// The tags.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The query parameters.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if !self.tags.is_empty() {
            p.push(("applicationTags", self.tags.join(",")));
        }
        if !self.states.is_empty() {
            let s: Vec<&str> = self.states.iter().map(|s| s.as_str()).collect();
            p.push(("states", s.join(",")));
        }
        if !self.types.is_empty() {
            p.push(("applicationTypes", self.types.join(",")));
        }
        if let Some(q) = &self.queue {
            p.push(("queue", q.clone()));
        }
        if let Some(n) = self.limit {
            p.push(("limit", n.to_string()));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The fixtures are the sample answers of Hadoop's ResourceManagerRest.md.
    #[test]
    fn doc_samples_parse() {
        let info: ClusterInfoWrapper =
            serde_json::from_str(include_str!("../../tests/fixtures/rm_cluster_info.json"))
                .unwrap();
        assert_eq!(info.cluster_info.ha_state, Some(HaState::Active));
        assert_eq!(info.cluster_info.hadoop_version, "3.0.0-SNAPSHOT");
        let app: AppWrapper =
            serde_json::from_str(include_str!("../../tests/fixtures/rm_app.json")).unwrap();
        assert_eq!(app.app.id, "application_1476912658570_0002");
        assert_eq!(app.app.state, AppState::Finished);
        assert_eq!(app.app.final_status, FinalStatus::Succeeded);
        assert!(app.app.tags().is_empty());
        assert_eq!(app.app.am_rpc_address, None);
        assert_eq!(
            app.app.am_host_http_address.as_deref(),
            Some("host.domain.com:8042")
        );
        let at: AttemptsWrapper =
            serde_json::from_str(include_str!("../../tests/fixtures/rm_appattempts.json")).unwrap();
        let at = at.app_attempts.unwrap().app_attempt;
        assert_eq!(at[0].id, 1);
        assert_eq!(at[0].container_id, "container_1326821518301_0005_01_000001");
        let none: AppsWrapper =
            serde_json::from_str(include_str!("../../tests/fixtures/rm_apps_null.json")).unwrap();
        assert!(none.apps.is_none());
    }

    #[test]
    fn tags_split_and_unknown_states_survive() {
        let app: App = serde_json::from_value(serde_json::json!({
            "id": "application_1_1", "state": "SOMETHING_NEW",
            "applicationTags": "streampark, streampark.job=orders ,", "amRPCAddress": "h:8081"
        }))
        .unwrap();
        assert_eq!(app.state, AppState::Unknown);
        assert_eq!(app.tags(), ["streampark", "streampark.job=orders"]);
        assert_eq!(app.am_rpc_address.as_deref(), Some("h:8081"));
        let a: AppAttempt = serde_json::from_value(serde_json::json!({"id": "2"})).unwrap();
        assert_eq!(a.id, 2);
    }
}
