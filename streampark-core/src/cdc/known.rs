//! What the lint knows: the sections and keys of a pipeline definition, the options of every
//! connector by Flink CDC release, and the Flink releases each Flink CDC release supports.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::pipeline::CdcVersion;

/// The options of every pipeline connector by Flink CDC release, read from each release's
/// factories by `scripts/gen-cdc-options.py`: release, kind, type, what, key.
pub(super) const OPTIONS: &str = include_str!("options.tsv");

/// `(major, minor)` of a release.
pub(super) type Minor = (u32, u32);

/// The Flink releases each Flink CDC 3.x release supports (Flink CDC's compatibility table).
pub(super) const FLINK_SUPPORT: &[(Minor, &[Minor])] = &[
    ((3, 0), &[(1, 14), (1, 15), (1, 16), (1, 17), (1, 18)]),
    ((3, 1), &[(1, 16), (1, 17), (1, 18), (1, 19)]),
    ((3, 2), &[(1, 17), (1, 18), (1, 19), (1, 20)]),
    ((3, 3), &[(1, 19), (1, 20)]),
    ((3, 4), &[(1, 19), (1, 20)]),
    ((3, 5), &[(1, 19), (1, 20)]),
    ((3, 6), &[(1, 20), (2, 2)]),
];

pub(super) const SECTIONS: &[&str] = &["source", "sink", "route", "transform", "pipeline", "model"];
/// Keys every connector takes besides its options.
pub(super) const CONNECTOR_KEYS: &[&str] = &[
    "type",
    "name",
    "include.schema.changes",
    "exclude.schema.changes",
];
pub(super) const ROUTE_KEYS: &[&str] = &[
    "source-table",
    "sink-table",
    "replace-symbol",
    "description",
];
pub(super) const TRANSFORM_KEYS: &[&str] = &[
    "source-table",
    "projection",
    "filter",
    "primary-keys",
    "partition-keys",
    "table-options",
    "table-options.delimiter",
    "description",
    "converter-after-transform",
    "post-transform-converter",
];
/// `pipeline` keys and the release that added each (read from `PipelineOptions` and the
/// definition parser of each release).
pub(super) const PIPELINE_KEYS: &[(&str, (u32, u32))] = &[
    ("name", (3, 0)),
    ("parallelism", (3, 0)),
    ("schema.change.behavior", (3, 0)),
    ("local-time-zone", (3, 0)),
    ("schema.operator.uid", (3, 0)),
    ("schema-operator.rpc-timeout", (3, 0)),
    ("user-defined-function", (3, 2)),
    ("model", (3, 3)),
    ("operator.uid.prefix", (3, 3)),
    ("execution.runtime-mode", (3, 4)),
    ("sink.partitioning.strategy", (3, 5)),
    ("route-mode", (3, 6)),
    ("transform.decimal.precision.mode", (3, 6)),
];
pub(super) const SCHEMA_CHANGE_BEHAVIORS: &[&str] =
    &["IGNORE", "LENIENT", "TRY_EVOLVE", "EVOLVE", "EXCEPTION"];

/// The option table, by release, kind and connector type.
pub(super) struct Options {
    /// (release, kind, type) -> (required, optional, prefixes)
    by: BTreeMap<((u32, u32), String, String), Known>,
}

#[derive(Default)]
pub(super) struct Known {
    pub(super) required: BTreeSet<String>,
    pub(super) optional: BTreeSet<String>,
    pub(super) prefixes: Vec<String>,
}

pub(super) fn options() -> &'static Options {
    static O: OnceLock<Options> = OnceLock::new();
    O.get_or_init(|| {
        let mut by: BTreeMap<_, Known> = BTreeMap::new();
        for line in OPTIONS.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split('\t').collect();
            let [rel, kind, ty, what, key] = f[..] else {
                continue;
            };
            let Ok(v) = rel.parse::<CdcVersion>() else {
                continue;
            };
            let k = by
                .entry((v.key(), kind.to_string(), ty.to_string()))
                .or_default();
            match what {
                "required" => {
                    k.required.insert(key.to_string());
                }
                "optional" => {
                    k.optional.insert(key.to_string());
                }
                "prefix" => k.prefixes.push(key.to_string()),
                _ => {}
            }
        }
        Options { by }
    })
}

impl Options {
    /// The newest known release not newer than `v` (options of 3.6 for a 3.7).
    pub(super) fn release(&self, v: CdcVersion) -> (u32, u32) {
        self.by
            .keys()
            .map(|(r, _, _)| *r)
            .filter(|r| *r <= v.key())
            .max()
            .unwrap_or((3, 0))
    }

    pub(super) fn get(&self, rel: (u32, u32), kind: &str, ty: &str) -> Option<&Known> {
        self.by.get(&(rel, kind.to_string(), ty.to_string()))
    }

    pub(super) fn types(&self, rel: (u32, u32), kind: &str) -> Vec<&str> {
        self.by
            .keys()
            .filter(|(r, k, _)| *r == rel && k == kind)
            .map(|(_, _, t)| t.as_str())
            .collect()
    }

    /// The first release that has `kind` `ty`.
    pub(super) fn added(&self, kind: &str, ty: &str) -> Option<(u32, u32)> {
        self.by
            .keys()
            .filter(|(_, k, t)| k == kind && t == ty)
            .map(|(r, _, _)| *r)
            .min()
    }

    /// The first release in which `kind` `ty` reads `key`.
    pub(super) fn key_added(&self, kind: &str, ty: &str, key: &str) -> Option<(u32, u32)> {
        self.by
            .iter()
            .filter(|((_, k, t), known)| {
                k == kind
                    && t == ty
                    && (known.required.contains(key) || known.optional.contains(key))
            })
            .map(|((r, _, _), _)| *r)
            .min()
    }
}
