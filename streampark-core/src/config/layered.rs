//! Layers of configuration with precedence, variables and secrets.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use super::{ConfigKey, ConfigSource, ConfigValue, FlatConfig, SecretPolicy, Variables};
use crate::{Error, Result};

enum LayerKind {
    Static(FlatConfig),
    Source {
        source: Arc<dyn ConfigSource>,
        key: ConfigKey,
        required: bool,
    },
}

struct Layer {
    name: String,
    kind: LayerKind,
}

impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LayerKind::Static(c) => write!(f, "{} (static, {} keys)", self.name, c.len()),
            LayerKind::Source {
                source,
                key,
                required,
            } => write!(
                f,
                "{} ({} {key}{})",
                self.name,
                source.name(),
                if *required { ", required" } else { "" }
            ),
        }
    }
}

/// Builds a [`Layered`]; layers added later take precedence over earlier ones.
#[derive(Default)]
#[must_use]
pub struct LayeredBuilder {
    layers: Vec<Layer>,
    vars: Variables,
    secrets: SecretPolicy,
}

impl fmt::Debug for LayeredBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LayeredBuilder")
            .field("layers", &self.layers)
            .field("vars", &self.vars)
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl LayeredBuilder {
    /// A layer of fixed values (defaults, say).
    pub fn with_values<K, V>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let name = name.into();
        let origin: Arc<str> = format!("layer {name}").into();
        let flat = values
            .into_iter()
            .map(|(k, v)| (k.into(), ConfigValue::new(v, origin.clone())))
            .collect();
        self.layers.push(Layer {
            name,
            kind: LayerKind::Static(flat),
        });
        self
    }

    /// A layer read from `source` at `key`; an absent document is an empty layer.
    pub fn with_source(
        mut self,
        name: impl Into<String>,
        source: Arc<dyn ConfigSource>,
        key: ConfigKey,
    ) -> Self {
        self.layers.push(Layer {
            name: name.into(),
            kind: LayerKind::Source {
                source,
                key,
                required: false,
            },
        });
        self
    }

    /// Like [`LayeredBuilder::with_source`], but an absent document is an error.
    pub fn with_required_source(
        mut self,
        name: impl Into<String>,
        source: Arc<dyn ConfigSource>,
        key: ConfigKey,
    ) -> Self {
        self.layers.push(Layer {
            name: name.into(),
            kind: LayerKind::Source {
                source,
                key,
                required: true,
            },
        });
        self
    }

    /// The variables for `${name}`.
    pub fn with_variables(mut self, vars: Variables) -> Self {
        self.vars = vars;
        self
    }

    /// Which keys are secret (default: `*password*`, `*secret*`, `*token*`).
    pub fn with_secret_policy(mut self, policy: SecretPolicy) -> Self {
        self.secrets = policy;
        self
    }

    /// Checks the layers.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for two layers with the same name or an invalid key.
    pub fn build(self) -> Result<Layered> {
        let mut seen = std::collections::BTreeSet::new();
        for l in &self.layers {
            if !seen.insert(l.name.as_str()) {
                return Err(Error::invalid_config(
                    "config",
                    format!("layer {}", l.name),
                    "two layers have this name",
                ));
            }
            if let LayerKind::Source { key, .. } = &l.kind {
                key.validate()?;
            }
        }
        Ok(Layered {
            layers: self.layers,
            vars: self.vars,
            secrets: self.secrets,
            last_good: Mutex::new(HashMap::new()),
        })
    }
}

/// Configuration made of layers, in precedence order (defaults < files < Nacos < job
/// overrides is the usual order: add them in that order, or any other).
///
/// Each document layer keeps its last good version: when a new version is malformed or the
/// source is down, [`Layered::resolve`] keeps using the last good one and logs a warning
/// naming the document (never its content).
pub struct Layered {
    layers: Vec<Layer>,
    vars: Variables,
    secrets: SecretPolicy,
    last_good: Mutex<HashMap<usize, FlatConfig>>,
}

impl fmt::Debug for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layered")
            .field("layers", &self.layers)
            .field("vars", &self.vars)
            .finish_non_exhaustive()
    }
}

impl Layered {
    /// A builder.
    pub fn builder() -> LayeredBuilder {
        LayeredBuilder::default()
    }

    /// Reads every layer and resolves them for `team`, with `overrides` (a job's own
    /// settings) on top of all layers.
    ///
    /// # Errors
    /// A required document is absent; a document is malformed or unreadable and has no last
    /// good version; a variable is undefined or cyclic.
    pub async fn resolve(
        &self,
        team: Option<&str>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<FlatConfig> {
        let mut flats = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            match &layer.kind {
                LayerKind::Static(c) => flats.push(c.clone()),
                LayerKind::Source {
                    source,
                    key,
                    required,
                } => flats.push(
                    self.read_layer(i, &layer.name, source, key, *required)
                        .await?,
                ),
            }
        }
        resolve(&flats, &self.vars, &self.secrets, team, overrides)
    }

    async fn read_layer(
        &self,
        i: usize,
        name: &str,
        source: &Arc<dyn ConfigSource>,
        key: &ConfigKey,
        required: bool,
    ) -> Result<FlatConfig> {
        let last = || self.last_good.lock().ok().and_then(|m| m.get(&i).cloned());
        let parsed = match source.get(key).await {
            Ok(Some(doc)) => doc.parse(),
            Ok(None) => {
                if let Ok(mut m) = self.last_good.lock() {
                    m.remove(&i);
                }
                if required {
                    return Err(Error::not_found(
                        "config",
                        format!("document {key} of layer {name}"),
                    ));
                }
                return Ok(FlatConfig::new());
            }
            Err(e) => Err(e),
        };
        match parsed {
            Ok(flat) => {
                if let Ok(mut m) = self.last_good.lock() {
                    m.insert(i, flat.clone());
                }
                Ok(flat)
            }
            Err(e) => match last() {
                Some(good) => {
                    tracing::warn!(layer = name, key = %key, error = %e, "config layer kept its last good version");
                    Ok(good)
                }
                None => Err(e),
            },
        }
    }

    /// Resolves already parsed layers (lowest precedence first) for `team`, with
    /// `overrides` on top, under the default [`SecretPolicy`].
    ///
    /// # Errors
    /// An undefined or cyclic variable, naming it and the key that uses it.
    pub fn resolve_flat(
        layers: &[FlatConfig],
        vars: &Variables,
        team: Option<&str>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<FlatConfig> {
        resolve(layers, vars, &SecretPolicy::default(), team, overrides)
    }
}

fn resolve(
    layers: &[FlatConfig],
    vars: &Variables,
    policy: &SecretPolicy,
    team: Option<&str>,
    overrides: &BTreeMap<String, String>,
) -> Result<FlatConfig> {
    let mut merged = FlatConfig::new();
    for l in layers {
        merged.merge(l);
    }
    let origin: Arc<str> = "job overrides".into();
    for (k, v) in overrides {
        merged.insert(k.clone(), ConfigValue::new(v.clone(), origin.clone()));
    }
    for (k, v) in merged.iter_mut() {
        let (expanded, secret) = vars.expand(v.expose(), team, k, v.origin())?;
        v.set_value(expanded);
        if secret {
            *v = v.clone().with_secret(true);
        }
    }
    merged.mark_secrets(policy);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigDoc;

    fn flat(name: &str, text: &str) -> FlatConfig {
        ConfigDoc::new(ConfigKey::new(name), text).parse().unwrap()
    }

    #[test]
    fn later_layers_win_and_overrides_win_over_all() {
        let defaults = flat("defaults.yaml", "a: 1\nb: 1\nc: 1\nd: 1\n");
        let files = flat("file.properties", "b=2\nc=2\n");
        let nacos = flat("nacos.yaml", "c: 3\n");
        let over = BTreeMap::from([("d".to_string(), "4".to_string())]);
        let r = Layered::resolve_flat(&[defaults, files, nacos], &Variables::new(), None, &over)
            .unwrap();
        assert_eq!(
            r.to_map(),
            BTreeMap::from([
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "3".into()),
                ("d".into(), "4".into())
            ])
        );
        assert_eq!(r.get("b").unwrap().origin(), "file.properties");
        assert_eq!(r.get("d").unwrap().origin(), "job overrides");
    }

    #[test]
    fn variables_escape_and_secret_propagation() {
        let vars = Variables::new()
            .with_team("ads", "host", "db-ads")
            .with_secret_team("ads", "pw", "hunter2");
        let l = flat(
            "x.yaml",
            "url: jdbc://${host}/x\nraw: $${host}\nconn: user:${pw}@h\ndb.password: plain\n",
        );
        let r = Layered::resolve_flat(&[l], &vars, Some("ads"), &BTreeMap::new()).unwrap();
        assert_eq!(r.get_str("url"), Some("jdbc://db-ads/x"));
        assert_eq!(r.get_str("raw"), Some("${host}"));
        assert!(r.get("conn").unwrap().is_secret());
        assert!(r.get("db.password").unwrap().is_secret());
        assert!(!r.get("url").unwrap().is_secret());
        let shown = format!("{r:?} {r}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("plain"),
            "{shown}"
        );
    }

    #[test]
    fn undefined_variable_error_says_where() {
        let l = flat("team/flink.yaml", "state.checkpoints.dir: ${ckpt}/x\n");
        let e = Layered::resolve_flat(&[l], &Variables::new(), Some("ads"), &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`ckpt`") && e.contains("state.checkpoints.dir"),
            "{e}"
        );
        assert!(
            e.contains("team/flink.yaml") && e.contains("team `ads`"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_layer_names_are_rejected() {
        let e = Layered::builder()
            .with_values("d", [("a", "1")])
            .with_values("d", [("a", "2")])
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("layer d"), "{e}");
    }
}
