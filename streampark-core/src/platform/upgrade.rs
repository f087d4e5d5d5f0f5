//! Opening a store written before the Platform had an engine: its jobs become engine jobs.
//!
//! Until the one-engine release, the Platform deployed by itself, with its own attempt
//! counter, and the engine's tables knew nothing of its jobs. The store's migration keeps the
//! governance records as they are and turns the old counter into [`DocKind::AttemptFloor`]
//! documents; on [`super::PlatformBuilder::build`] every governed job the engine does not know
//! yet but that was deployed (or got attempt numbers) is recorded in the engine:
//!
//! - still running on its cluster (asked once with `inspect`): adopted as its attempt, desired
//!   running, so the engine supervises it from now on and never starts it a second time;
//! - gone (ended, or unknown to the cluster): an ended attempt at the highest number it ever
//!   had, desired stopped, so nothing restarts it and the next deploy continues above it.
//!
//! An unreachable cluster fails the build with its (retryable) error rather than guessing.

use std::collections::{BTreeMap, BTreeSet};

use super::Platform;
use super::version::ManagedJob;
use crate::store::{
    AttemptStatus, AttemptUpdate, DesiredState, DocKind, EventRecord, NewAttempt, Store, load_all,
};
use crate::supervisor::CLUSTER_LABEL;
use crate::{DeploymentId, Error, JobId, Result};

impl Platform {
    /// Records in the engine the governed jobs of an upgraded store (see the module docs).
    pub(super) async fn adopt_upgraded(&self) -> Result<()> {
        let store: &dyn Store = &*self.store;
        let floors = store.docs(DocKind::AttemptFloor, None).await?;
        let jobs: Vec<ManagedJob> = load_all(store, DocKind::Job, None).await?;
        let pending = jobs.iter().any(|m| m.deployed.is_some()) || !floors.is_empty();
        if !pending {
            return Ok(());
        }
        let floors: BTreeMap<String, u64> = floors
            .iter()
            .map(|d| {
                d.json
                    .trim()
                    .parse::<u64>()
                    .map(|n| (d.key.clone(), n))
                    .map_err(|_| Error::Protocol {
                        backend: store.backend(),
                        endpoint: format!("store document `attempt_floor` of job `{}`", d.key),
                        reason: format!("not an attempt number: {:?}", d.json),
                        source: None,
                    })
            })
            .collect::<Result<_>>()?;
        let known: BTreeSet<JobId> = store.jobs().await?.into_iter().map(|r| r.spec.id).collect();
        for m in jobs {
            let id = m.current.spec.id.clone();
            let floor = floors.get(id.as_str()).copied().unwrap_or(0);
            if !known.contains(&id) && (m.deployed.is_some() || floor > 0) {
                self.adopt_one(&m, floor).await?;
            }
            if floors.contains_key(id.as_str()) {
                store
                    .delete_doc(DocKind::AttemptFloor, id.as_str(), "")
                    .await?;
            }
        }
        Ok(())
    }

    async fn adopt_one(&self, m: &ManagedJob, floor: u64) -> Result<()> {
        let store: &dyn Store = &*self.store;
        let id = m.current.spec.id.clone();
        let now = (self.clock)();
        let cluster = match m.deployed.as_ref().map(|d| d.cluster.as_str()) {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => self.engine.place(&m.current.spec)?.cluster,
        };
        let mut spec = m
            .deployed
            .as_ref()
            .map_or_else(|| m.current.spec.clone(), |d| d.resolved.clone());
        spec.labels
            .insert(CLUSTER_LABEL.to_string(), cluster.clone());
        // Is the deployment still running? Asked once; an error other than "not found" (the
        // cluster is down, say) fails the build so that nothing is guessed.
        let mut running = false;
        let mut final_state = None;
        if let Some(d) = &m.deployed {
            let deployer = self.engine.cluster(&cluster).ok_or_else(|| {
                Error::invalid_config(
                    "platform",
                    "clusters",
                    format!(
                        "job `{id}` was deployed on cluster `{cluster}`, which this platform \
                         does not have"
                    ),
                )
            })?;
            match deployer
                .inspect(&DeploymentId::new(d.deployment.clone()))
                .await
            {
                Ok(details) if !details.snapshot.state.is_terminal() => running = true,
                Ok(details) => final_state = Some(details.snapshot.state),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        store.put_job(&spec, now).await?;
        let (attempt, deployment) = match &m.deployed {
            Some(d) if running => (d.attempt, Some(DeploymentId::new(d.deployment.clone()))),
            Some(d) if d.attempt >= floor => {
                (d.attempt, Some(DeploymentId::new(d.deployment.clone())))
            }
            _ => (floor, None),
        };
        let mut new = NewAttempt::next(id.clone(), 0, self.engine.id(), now);
        new.attempt = attempt;
        new.status = AttemptStatus::Deployed;
        new.deployment = deployment;
        new.restore_from = m.deployed.as_ref().and_then(|d| d.restored_from.clone());
        store.begin_attempt(new).await?;
        if !running {
            store
                .update_attempt(
                    &id,
                    attempt,
                    AttemptUpdate::status(AttemptStatus::Ended).with_end(
                        now,
                        final_state,
                        Some("ended before the store was upgraded".into()),
                    ),
                )
                .await?;
            store.set_desired(&id, DesiredState::Stopped, now).await?;
        }
        store
            .append_event(&EventRecord::new(
                id.clone(),
                attempt,
                "store_upgraded",
                self.engine.id(),
                serde_json::json!({
                    "cluster": cluster,
                    "running": running,
                    "cause": "a job of a store written before the one engine",
                }),
                now,
            ))
            .await?;
        self.engine.reload_job(&id).await?;
        Ok(())
    }
}
