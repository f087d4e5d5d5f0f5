//! A sink that keeps alerts in memory, for tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use streampark_core::{Alert, AlertError, AlertSink};

#[derive(Debug, Default)]
struct State {
    alerts: Vec<Alert>,
    failures: VecDeque<AlertError>,
    attempts: usize,
}

/// Records every alert it is sent. Clones share the record. Failures can be scripted with
/// [`MemorySink::fail_next`] to test layers and routing.
///
/// ```
/// use streampark_alerts::MemorySink;
/// use streampark_core::{Alert, AlertSink, Severity};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sink = MemorySink::new();
/// sink.send(&Alert::new(Severity::Info, "hello")).await.unwrap();
/// assert_eq!(sink.alerts()[0].title, "hello");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MemorySink {
    name: String,
    state: Arc<Mutex<State>>,
}

impl Default for MemorySink {
    fn default() -> Self {
        MemorySink {
            name: "memory".into(),
            state: Arc::default(),
        }
    }
}

impl MemorySink {
    /// An empty sink named `memory`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames it.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The alerts delivered so far, in order.
    pub fn alerts(&self) -> Vec<Alert> {
        self.lock().alerts.clone()
    }

    /// How many were delivered.
    pub fn len(&self) -> usize {
        self.lock().alerts.len()
    }

    /// Whether none was delivered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many sends were attempted (failed ones included).
    pub fn attempts(&self) -> usize {
        self.lock().attempts
    }

    /// Forgets the delivered alerts.
    pub fn clear(&self) {
        self.lock().alerts.clear();
    }

    /// Makes the next send fail with `error` (queue several to fail several sends).
    pub fn fail_next(&self, error: AlertError) {
        self.lock().failures.push_back(error);
    }
}

#[async_trait::async_trait]
impl AlertSink for MemorySink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let mut st = self.lock();
        st.attempts += 1;
        if let Some(e) = st.failures.pop_front() {
            return Err(e);
        }
        st.alerts.push(alert.clone());
        Ok(())
    }
}
