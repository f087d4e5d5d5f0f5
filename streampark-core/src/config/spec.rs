//! Typed extraction of a flat configuration into a [`JobSpec`].
//!
//! Flink keys (everything outside `streampark.`) go to [`JobSpec::config`], with the types
//! of well-known keys checked (durations, memory sizes, integers, booleans) so a typo in a
//! value fails here, naming the key and its document, not later inside Flink.
//! `streampark.restart.*` becomes [`JobSpec::restart`]; `streampark.alert.*` is left for the
//! alert router. Any other `streampark.` key is unknown (a typo never falls back to a
//! default).

use std::time::Duration;

use super::FlatConfig;
use crate::{Error, JobSpec, RestartPolicy, Result};

/// Key prefixes whose changes apply to running jobs without a restart (see
/// [`super::ConfigWatcher`]).
pub const LIVE_PREFIXES: &[&str] = &["streampark.alert.", "streampark.restart."];

const DURATIONS: &[&str] = &[
    "execution.checkpointing.interval",
    "execution.checkpointing.timeout",
    "execution.checkpointing.min-pause",
    "restart-strategy.fixed-delay.delay",
    "restart-strategy.exponential-delay.initial-backoff",
    "restart-strategy.exponential-delay.max-backoff",
    "heartbeat.timeout",
    "heartbeat.interval",
];
const MEMORY: &[&str] = &[
    "jobmanager.memory.process.size",
    "jobmanager.memory.flink.size",
    "taskmanager.memory.process.size",
    "taskmanager.memory.flink.size",
    "taskmanager.memory.managed.size",
    "taskmanager.memory.task.heap.size",
    "taskmanager.memory.network.min",
    "taskmanager.memory.network.max",
];
const INTEGERS: &[&str] = &[
    "parallelism.default",
    "taskmanager.numberOfTaskSlots",
    "restart-strategy.fixed-delay.attempts",
    "execution.checkpointing.max-concurrent-checkpoints",
];
const BOOLEANS: &[&str] = &[
    "pipeline.object-reuse",
    "execution.checkpointing.unaligned.enabled",
];

const RESTART_KEYS: &[&str] = &[
    "type",
    "delay",
    "max-attempts",
    "initial",
    "max",
    "multiplier",
    "max-failures",
    "window",
];

impl FlatConfig {
    /// Checks the types of well-known Flink keys and copies every Flink key into
    /// `spec.config` (replacing entries of the same key; pass `spec.config` as the
    /// overrides of [`super::Layered::resolve`] to give the job's own settings precedence).
    /// `parallelism.default` also sets [`JobSpec::parallelism`]; `streampark.restart.*` sets
    /// [`JobSpec::restart`].
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key and document of a badly typed value;
    /// [`Error::UnknownConfigKey`] for an unknown `streampark.` key. `spec` is unchanged on
    /// error.
    pub fn apply_to_spec(&self, spec: &mut JobSpec) -> Result<()> {
        for k in DURATIONS {
            self.get_duration(k)?;
        }
        for k in MEMORY {
            self.get_memory_bytes(k)?;
        }
        for k in INTEGERS {
            self.get_u64(k)?;
        }
        for k in BOOLEANS {
            self.get_bool(k)?;
        }
        let parallelism = match self.get_u64("parallelism.default")? {
            Some(0) => {
                return Err(Error::invalid_config(
                    "config",
                    "parallelism.default",
                    "must be at least 1",
                ));
            }
            Some(p) => Some(u32::try_from(p).map_err(|_| {
                Error::invalid_config("config", "parallelism.default", "too large")
            })?),
            None => None,
        };
        for (k, _) in self.iter() {
            if let Some(rest) = k.strip_prefix("streampark.") {
                let known = rest.starts_with("alert.")
                    || rest
                        .strip_prefix("restart.")
                        .is_some_and(|r| RESTART_KEYS.contains(&r));
                if !known {
                    return Err(Error::UnknownConfigKey {
                        backend: "config",
                        key: k.to_string(),
                    });
                }
            }
        }
        let restart = self.restart_policy()?;
        // Everything checked: now change the spec.
        for (k, v) in self.iter() {
            if !k.starts_with("streampark.") {
                spec.config.insert(k.to_string(), v.expose().to_string());
            }
        }
        if parallelism.is_some() {
            spec.parallelism = parallelism;
        }
        if let Some(r) = restart {
            spec.restart = r;
        }
        Ok(())
    }

    /// The restart policy under `streampark.restart.*`, if `streampark.restart.type` is set:
    /// `never`; `fixed-delay` (`delay`, `max-attempts`); `exponential-backoff` (`initial`,
    /// `max`, `multiplier`, `max-attempts`); `failure-rate` (`max-failures`, `window`,
    /// `delay`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key of a bad value or an unknown type.
    pub fn restart_policy(&self) -> Result<Option<RestartPolicy>> {
        let Some(kind) = self.get_str("streampark.restart.type") else {
            return Ok(None);
        };
        let dur = |k: &str, d: u64| -> Result<Duration> {
            Ok(self
                .get_duration(&format!("streampark.restart.{k}"))?
                .unwrap_or(Duration::from_secs(d)))
        };
        let count = |k: &str, d: u32| -> Result<u32> {
            let key = format!("streampark.restart.{k}");
            match self.get_u64(&key)? {
                None => Ok(d),
                Some(n) => {
                    u32::try_from(n).map_err(|_| Error::invalid_config("config", key, "too large"))
                }
            }
        };
        Ok(Some(match kind.trim() {
            "never" => RestartPolicy::Never,
            "fixed-delay" => RestartPolicy::FixedDelay {
                delay: dur("delay", 10)?,
                max_attempts: count("max-attempts", 3)?,
            },
            "exponential-backoff" => {
                let multiplier = self
                    .get_f64("streampark.restart.multiplier")?
                    .unwrap_or(2.0);
                if multiplier <= 1.0 {
                    return Err(Error::invalid_config(
                        "config",
                        "streampark.restart.multiplier",
                        "must be greater than 1",
                    ));
                }
                RestartPolicy::ExponentialBackoff {
                    initial: dur("initial", 10)?,
                    max: dur("max", 600)?,
                    multiplier,
                    max_attempts: count("max-attempts", 10)?,
                }
            }
            "failure-rate" => RestartPolicy::FailureRate {
                max_failures: count("max-failures", 3)?,
                window: dur("window", 300)?,
                delay: dur("delay", 10)?,
            },
            other => {
                return Err(Error::invalid_config(
                    "config",
                    "streampark.restart.type",
                    format!(
                        "`{other}` is not one of never, fixed-delay, exponential-backoff, failure-rate"
                    ),
                ));
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigDoc, ConfigKey};

    fn flat(text: &str) -> FlatConfig {
        ConfigDoc::new(ConfigKey::new("job.yaml"), text)
            .parse()
            .unwrap()
    }

    #[test]
    fn flink_keys_restart_and_parallelism_land_in_the_spec() {
        let mut spec = JobSpec::sql("j", "INSERT INTO a SELECT 1")
            .unwrap()
            .with_config("kept", "yes");
        let c = flat(
            "parallelism.default: 3\ntaskmanager:\n  memory.process.size: 2g\n\
             streampark:\n  restart:\n    type: fixed-delay\n    delay: 5 s\n    max-attempts: 7\n\
             streampark.alert.route: ops\n",
        );
        c.apply_to_spec(&mut spec).unwrap();
        assert_eq!(spec.parallelism, Some(3));
        assert_eq!(spec.config["taskmanager.memory.process.size"], "2g");
        assert_eq!(spec.config["kept"], "yes");
        assert!(!spec.config.keys().any(|k| k.starts_with("streampark.")));
        assert_eq!(
            spec.restart,
            RestartPolicy::FixedDelay {
                delay: Duration::from_secs(5),
                max_attempts: 7
            }
        );
    }

    #[test]
    fn bad_values_and_unknown_keys_leave_the_spec_alone() {
        let spec0 = JobSpec::sql("j", "INSERT INTO a SELECT 1").unwrap();
        for (text, needle) in [
            (
                "execution.checkpointing.interval: often\na: 1\n",
                "execution.checkpointing.interval",
            ),
            (
                "taskmanager.memory.process.size: lots\n",
                "taskmanager.memory.process.size",
            ),
            ("parallelism.default: 0\n", "parallelism.default"),
            (
                "streampark.restrat.type: never\n",
                "streampark.restrat.type",
            ),
            ("streampark.restart.type: sometimes\n", "sometimes"),
            (
                "streampark.restart.type: exponential-backoff\nstreampark.restart.multiplier: 0.5\n",
                "multiplier",
            ),
        ] {
            let mut spec = spec0.clone();
            let e = flat(text).apply_to_spec(&mut spec).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert_eq!(spec, spec0);
        }
    }
}
