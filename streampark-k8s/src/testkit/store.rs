//! The simulated API server's object store: resource versions, event history, field owners.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::{Value, json};
use tokio::sync::broadcast;

/// `(plural, namespace, name)`.
pub(crate) type Key = (String, String, String);

/// One change, as a watch stream sends it.
#[derive(Clone, Debug)]
pub(crate) struct Change {
    pub(crate) rv: u64,
    pub(crate) plural: String,
    pub(crate) namespace: String,
    pub(crate) kind: &'static str,
    pub(crate) object: Value,
}

/// API coordinates of a plural this server serves.
pub(crate) fn kind_of(plural: &str) -> Option<(&'static str, &'static str)> {
    Some(match plural {
        "configmaps" => ("ConfigMap", "v1"),
        "pods" => ("Pod", "v1"),
        "events" => ("Event", "v1"),
        "flinkdeployments" => ("FlinkDeployment", "flink.apache.org/v1beta1"),
        "flinksessionjobs" => ("FlinkSessionJob", "flink.apache.org/v1beta1"),
        "flinkstatesnapshots" => ("FlinkStateSnapshot", "flink.apache.org/v1beta1"),
        _ => return None,
    })
}

/// Whether a plural has a `status` subresource (writes to the main resource keep status).
pub(crate) fn has_status_subresource(plural: &str) -> bool {
    plural.starts_with("flink")
}

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) rv: u64,
    pub(crate) objects: BTreeMap<Key, Value>,
    pub(crate) history: VecDeque<Change>,
    /// Watches from a resource version below this get `410 Gone`.
    pub(crate) oldest_rv: u64,
    /// Field path -> manager, per object (server-side apply).
    pub(crate) owners: HashMap<Key, BTreeMap<String, String>>,
    pub(crate) tx: broadcast::Sender<Change>,
    uid: u64,
}

impl Store {
    pub(crate) fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Store {
            rv: 1,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            oldest_rv: 0,
            owners: HashMap::new(),
            tx,
            uid: 0,
        }
    }

    /// Writes `object` under `key` (or deletes it when `deleted`), bumping the resource version
    /// and telling the watchers.
    pub(crate) fn commit(&mut self, key: &Key, mut object: Value, event: &'static str) -> Value {
        self.rv += 1;
        let (kind, api_version) = kind_of(&key.0).unwrap_or(("Unknown", "v1"));
        object["kind"] = kind.into();
        object["apiVersion"] = api_version.into();
        object["metadata"]["name"] = key.2.clone().into();
        object["metadata"]["namespace"] = key.1.clone().into();
        object["metadata"]["resourceVersion"] = self.rv.to_string().into();
        if object["metadata"]["uid"].is_null() {
            self.uid += 1;
            object["metadata"]["uid"] = format!("00000000-0000-0000-0000-{:012}", self.uid).into();
            object["metadata"]["creationTimestamp"] = now_rfc3339().into();
        }
        if event == "DELETED" {
            self.objects.remove(key);
            self.owners.remove(key);
        } else {
            self.objects.insert(key.clone(), object.clone());
        }
        let change = Change {
            rv: self.rv,
            plural: key.0.clone(),
            namespace: key.1.clone(),
            kind: event,
            object: object.clone(),
        };
        self.history.push_back(change.clone());
        while self.history.len() > 10_000 {
            if let Some(c) = self.history.pop_front() {
                self.oldest_rv = c.rv + 1;
            }
        }
        let _ = self.tx.send(change);
        object
    }

    /// Forgets the event history: a watch from any earlier version gets `410 Gone`.
    pub(crate) fn compact(&mut self) {
        self.rv += 1;
        self.history.clear();
        self.oldest_rv = self.rv;
    }
}

pub(crate) fn now_rfc3339() -> String {
    // Seconds precision, UTC, without a date library: civil-from-days (Howard Hinnant).
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Whether an object's labels match a selector (`a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-joined).
pub(crate) fn selector_matches(selector: Option<&str>, object: &Value) -> bool {
    let Some(sel) = selector.filter(|s| !s.trim().is_empty()) else {
        return true;
    };
    let labels = &object["metadata"]["labels"];
    sel.split(',').all(|term| {
        let term = term.trim();
        if let Some((k, v)) = term.split_once("!=") {
            labels[k.trim()].as_str() != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            labels[k.trim()].as_str() == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            labels[k.trim()].is_null()
        } else {
            !labels[term].is_null()
        }
    })
}

/// The leaf paths of the parts of an object that server-side apply tracks.
pub(crate) fn leaf_paths(v: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    walk(&format!("{prefix}.{k}"), child, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    for top in ["spec", "data", "binaryData"] {
        if let Some(x) = v.get(top) {
            walk(top, x, &mut out);
        }
    }
    for meta in ["labels", "annotations"] {
        if let Some(x) = v["metadata"].get(meta) {
            walk(&format!("metadata.{meta}"), x, &mut out);
        }
    }
    out
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, seg| cur.get(seg))
}

fn remove_path(v: &mut Value, path: &str) {
    let segs: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        match cur.get_mut(*p) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(*last);
    }
}

/// JSON merge patch (RFC 7386).
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Some(t) = target.as_object_mut() {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Server-side apply of `applied` by `manager` onto `current` (`None`: create). Returns the new
/// object, or the conflicting fields and their managers.
pub(crate) fn apply(
    current: Option<&Value>,
    owners: &mut BTreeMap<String, String>,
    applied: &Value,
    manager: &str,
    force: bool,
) -> Result<Value, Vec<(String, String)>> {
    let new_fields = leaf_paths(applied);
    let mut conflicts = Vec::new();
    if let Some(cur) = current {
        for (path, value) in &new_fields {
            if let Some(owner) = owners.get(path)
                && owner != manager
                && get_path(cur, path) != Some(value)
            {
                conflicts.push((path.clone(), owner.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    let mut obj = current.cloned().unwrap_or_else(|| json!({"metadata": {}}));
    // Fields this manager owned and no longer applies are removed.
    let dropped: Vec<String> = owners
        .iter()
        .filter(|(p, m)| m.as_str() == manager && !new_fields.contains_key(*p))
        .map(|(p, _)| p.clone())
        .collect();
    for p in dropped {
        remove_path(&mut obj, &p);
        owners.remove(&p);
    }
    let mut body = applied.clone();
    if let Some(m) = body.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    if let Some(m) = body.as_object_mut() {
        m.remove("status");
    }
    merge(&mut obj, &body);
    for path in new_fields.keys() {
        owners.insert(path.clone(), manager.to_string());
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_conflicts_with_another_manager_unless_forced() {
        let mut owners = BTreeMap::new();
        let a = json!({"spec": {"image": "flink:1.19", "job": {"state": "running"}}});
        let obj = apply(None, &mut owners, &a, "alice", false).unwrap();
        let b = json!({"spec": {"image": "flink:1.20"}});
        let err = apply(Some(&obj), &mut owners, &b, "bob", false).unwrap_err();
        assert_eq!(err, vec![("spec.image".to_string(), "alice".to_string())]);
        // Same value: no conflict, shared ownership is fine.
        let same = json!({"spec": {"image": "flink:1.19"}});
        assert!(apply(Some(&obj), &mut owners.clone(), &same, "bob", false).is_ok());
        let forced = apply(Some(&obj), &mut owners, &b, "bob", true).unwrap();
        assert_eq!(forced["spec"]["image"], "flink:1.20");
        assert_eq!(owners["spec.image"], "bob");
        // alice re-applies without `job`: the field she owned is removed.
        let a2 = json!({"spec": {"image": "flink:1.20"}});
        let after = apply(Some(&forced), &mut owners, &a2, "alice", true).unwrap();
        assert!(after["spec"]["job"].get("state").is_none(), "{after}");
    }

    #[test]
    fn selectors() {
        let o = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        assert!(selector_matches(Some("a=1,b==2"), &o));
        assert!(!selector_matches(Some("a=2"), &o));
        assert!(selector_matches(Some("a,!c,b!=3"), &o));
        assert!(selector_matches(None, &o));
    }

    #[test]
    fn rfc3339_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20);
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T');
    }
}
