//! Restart decisions: pure functions of a job's restart policy and its recorded attempts, so a
//! supervisor that takes over (a restarted host, another replica) decides exactly as the one
//! before it would have.

use std::time::Duration;

use crate::store::{AttemptRecord, AttemptStatus};
use crate::{JobState, RestartPolicy};

/// What to do after a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Start the next attempt at this time (ms since the epoch), after `consecutive` failures.
    RestartAt { at_ms: i64, consecutive: u32 },
    /// Do not restart: the budget is spent.
    GiveUp(String),
}

/// Whether an attempt ended in a failure (as opposed to finishing or being stopped).
pub(crate) fn is_failure(a: &AttemptRecord) -> bool {
    match a.status {
        AttemptStatus::DeployFailed => true,
        AttemptStatus::Ended => matches!(a.final_state, Some(JobState::Failed | JobState::Lost)),
        _ => false,
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Decides after the newest attempt of `history` (oldest first) failed. A run that lasted at
/// least `reset_after` clears the count of consecutive failures.
pub(crate) fn decide(
    policy: &RestartPolicy,
    history: &[AttemptRecord],
    reset_after: Duration,
    now_ms: i64,
) -> Decision {
    let last_end = history.last().and_then(|a| a.ended_ms).unwrap_or(now_ms);
    let mut consecutive: u32 = 0;
    for a in history.iter().rev() {
        if !is_failure(a) {
            break;
        }
        consecutive += 1;
        let ran = a.ended_ms.unwrap_or(now_ms) - a.created_ms;
        if a.status == AttemptStatus::Ended && ran >= ms(reset_after) {
            break;
        }
    }
    let consecutive = consecutive.max(1);
    let budget = |max: u32, delay: Duration| {
        if consecutive > max {
            Decision::GiveUp(format!(
                "{consecutive} consecutive failures; the policy allows {max} restarts"
            ))
        } else {
            Decision::RestartAt {
                at_ms: last_end.saturating_add(ms(delay)),
                consecutive,
            }
        }
    };
    match policy {
        RestartPolicy::Never => Decision::GiveUp("the restart policy is `never`".into()),
        RestartPolicy::FixedDelay {
            delay,
            max_attempts,
        } => budget(*max_attempts, *delay),
        RestartPolicy::ExponentialBackoff {
            initial,
            max,
            multiplier,
            max_attempts,
        } => {
            let m = if multiplier.is_finite() && *multiplier >= 1.0 {
                *multiplier
            } else {
                1.0
            };
            let exp = i32::try_from(consecutive.saturating_sub(1)).unwrap_or(i32::MAX);
            let secs = (initial.as_secs_f64() * m.powi(exp)).min(max.as_secs_f64());
            let delay = Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(*max);
            budget(*max_attempts, delay.min(*max))
        }
        RestartPolicy::FailureRate {
            max_failures,
            window,
            delay,
        } => {
            let since = now_ms - ms(*window);
            let n = history
                .iter()
                .filter(|a| is_failure(a) && a.ended_ms.unwrap_or(now_ms) > since)
                .count();
            let n = u32::try_from(n).unwrap_or(u32::MAX).max(1);
            if n > *max_failures {
                Decision::GiveUp(format!(
                    "{n} failures within {window:?}; the policy allows {max_failures}"
                ))
            } else {
                Decision::RestartAt {
                    at_ms: last_end.saturating_add(ms(*delay)),
                    consecutive: n,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JobId;

    fn failed(n: u64, start: i64, end: i64) -> AttemptRecord {
        AttemptRecord {
            job: JobId::new("a").unwrap(),
            attempt: n,
            status: AttemptStatus::Ended,
            deployment: None,
            restore_from: None,
            spec_version: 1,
            owner: "t".into(),
            created_ms: start,
            ended_ms: Some(end),
            final_state: Some(JobState::Failed),
            reason: None,
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn exponential_backoff_doubles_then_caps_then_gives_up() {
        let p = RestartPolicy::ExponentialBackoff {
            initial: Duration::from_secs(10),
            max: Duration::from_secs(35),
            multiplier: 2.0,
            max_attempts: 3,
        };
        let mut h = vec![];
        let mut delays = vec![];
        for n in 1..=4u64 {
            let t = i64::try_from(n).unwrap() * 1000;
            h.push(failed(n, t, t + 100));
            delays.push(decide(&p, &h, HOUR, t + 100));
        }
        let at = |d: &Decision| match d {
            Decision::RestartAt { at_ms, .. } => *at_ms,
            Decision::GiveUp(_) => -1,
        };
        assert_eq!(at(&delays[0]), 1100 + 10_000);
        assert_eq!(at(&delays[1]), 2100 + 20_000);
        assert_eq!(at(&delays[2]), 3100 + 35_000, "capped at max");
        assert!(matches!(&delays[3], Decision::GiveUp(r) if r.contains("4 consecutive")));
    }

    #[test]
    fn a_long_run_resets_the_count() {
        let p = RestartPolicy::FixedDelay {
            delay: Duration::from_secs(1),
            max_attempts: 1,
        };
        let h = vec![
            failed(1, 0, 10),
            failed(2, 20, 20 + 3_600_000),
            failed(3, 4_000_000, 4_000_010),
        ];
        // Attempt 2 ran an hour: only attempts 3 and 2 count (2 stops the scan after counting).
        assert_eq!(
            decide(&p, &h, HOUR, 4_000_010),
            Decision::GiveUp("2 consecutive failures; the policy allows 1 restarts".into())
        );
        let h2 = vec![failed(1, 0, 10), failed(2, 20, 20 + 3_600_000)];
        assert!(matches!(
            decide(&p, &h2, HOUR, 3_600_020),
            Decision::RestartAt { consecutive: 1, .. }
        ));
    }

    #[test]
    fn failure_rate_counts_only_the_window_and_never_gives_up_at_once() {
        let p = RestartPolicy::FailureRate {
            max_failures: 2,
            window: Duration::from_secs(60),
            delay: Duration::from_secs(5),
        };
        let h = vec![
            failed(1, 0, 1_000),
            failed(2, 2_000, 100_000),
            failed(3, 100_000, 110_000),
        ];
        assert_eq!(
            decide(&p, &h, HOUR, 110_000),
            Decision::RestartAt {
                at_ms: 115_000,
                consecutive: 2
            }
        );
        let h = vec![
            failed(1, 0, 100_000),
            failed(2, 0, 101_000),
            failed(3, 0, 102_000),
        ];
        assert!(matches!(decide(&p, &h, HOUR, 102_000), Decision::GiveUp(_)));
        assert!(matches!(
            decide(&RestartPolicy::Never, &h, HOUR, 0),
            Decision::GiveUp(_)
        ));
    }
}
