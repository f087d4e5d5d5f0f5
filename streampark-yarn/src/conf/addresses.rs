//! ResourceManager web addresses (HA ids, http/https policy) and WebHDFS addresses
//! (NameNode HA nameservices) from a loaded [`HadoopConf`].

use url::Url;

use super::HadoopConf;

/// One ResourceManager's web address as derived from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RmAddress {
    /// The HA id (`rm1`), `None` without HA.
    pub id: Option<String>,
    /// The web URL (`http://rm1.example.com:8088`), or why none could be derived.
    pub url: Result<Url, String>,
    /// The key it came from, e.g. `yarn.resourcemanager.webapp.address.rm1` or
    /// `yarn.resourcemanager.hostname.rm1 + :8088`.
    pub from: String,
}

fn https(conf: &HadoopConf, key: &str) -> bool {
    conf.get_or_default(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("HTTPS_ONLY"))
}

/// `host:port` → URL, refusing wildcards, unresolved variables and missing ports.
fn to_url(scheme: &str, addr: &str, key: &str) -> Result<Url, String> {
    let addr = addr.trim();
    if addr.contains("${") {
        return Err(format!("`{key}` = `{addr}` has an unresolved variable"));
    }
    let addr = addr
        .strip_prefix("http://")
        .or_else(|| addr.strip_prefix("https://"))
        .unwrap_or(addr)
        .trim_end_matches('/');
    let url = Url::parse(&format!("{scheme}://{addr}"))
        .map_err(|e| format!("`{key}` = `{addr}` is not host:port ({e})"))?;
    match url.host_str() {
        None | Some("") => Err(format!("`{key}` = `{addr}` has no host")),
        Some("0.0.0.0") | Some("[::]") => Err(format!(
            "`{key}` = `{addr}` is a wildcard (bind) address, not one a client can reach"
        )),
        Some(_) if url.port().is_none() && !addr.contains(':') => {
            Err(format!("`{key}` = `{addr}` has no port"))
        }
        Some(_) => Ok(url),
    }
}

pub(super) fn resource_managers(conf: &HadoopConf) -> Vec<RmAddress> {
    let secure = https(conf, "yarn.http.policy");
    let (scheme, base, port) = if secure {
        ("https", "yarn.resourcemanager.webapp.https.address", 8090)
    } else {
        ("http", "yarn.resourcemanager.webapp.address", 8088)
    };
    if !conf.rm_ha_enabled() {
        let (addr, from) = match conf.get(base) {
            Some(a) => (a.to_string(), base.to_string()),
            None => match conf.get("yarn.resourcemanager.hostname") {
                Some(h) => (
                    format!("{}:{port}", h.trim()),
                    format!("yarn.resourcemanager.hostname + :{port}"),
                ),
                None => {
                    return vec![RmAddress {
                        id: None,
                        url: Err(format!(
                            "neither `{base}` nor `yarn.resourcemanager.hostname` is set (Hadoop's default is 0.0.0.0, which a client cannot reach)"
                        )),
                        from: base.to_string(),
                    }];
                }
            },
        };
        return vec![RmAddress {
            id: None,
            url: to_url(scheme, &addr, &from),
            from,
        }];
    }
    let ids: Vec<String> = conf
        .get("yarn.resourcemanager.ha.rm-ids")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if ids.is_empty() {
        return vec![RmAddress {
            id: None,
            url: Err(
                "`yarn.resourcemanager.ha.enabled` is true but `yarn.resourcemanager.ha.rm-ids` is empty"
                    .into(),
            ),
            from: "yarn.resourcemanager.ha.rm-ids".into(),
        }];
    }
    ids.into_iter()
        .map(|id| {
            let key = format!("{base}.{id}");
            let host_key = format!("yarn.resourcemanager.hostname.{id}");
            let (url, from) = match (conf.get(&key), conf.get(&host_key)) {
                (Some(a), _) => (to_url(scheme, a, &key), key),
                (None, Some(h)) => {
                    let from = format!("{host_key} + :{port}");
                    (to_url(scheme, &format!("{}:{port}", h.trim()), &from), from)
                }
                (None, None) => (Err(format!("neither `{key}` nor `{host_key}` is set")), key),
            };
            RmAddress {
                id: Some(id),
                url,
                from,
            }
        })
        .collect()
}

pub(super) fn webhdfs_urls(conf: &HadoopConf) -> Vec<Url> {
    let secure = https(conf, "dfs.http.policy");
    let (scheme, key, port) = if secure {
        ("https", "dfs.namenode.https-address", 9871)
    } else {
        ("http", "dfs.namenode.http-address", 9870)
    };
    let fs_host = conf
        .default_fs()
        .and_then(|fs| Url::parse(fs).ok())
        .filter(|u| u.scheme() == "hdfs")
        .and_then(|u| u.host_str().map(String::from));
    let nameservices: Vec<String> = conf
        .get("dfs.nameservices")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let ns = match &fs_host {
        Some(h) if nameservices.iter().any(|n| n == h) => Some(h.clone()),
        Some(h) if conf.get(&format!("dfs.ha.namenodes.{h}")).is_some() => Some(h.clone()),
        None if nameservices.len() == 1 => nameservices.first().cloned(),
        _ => None,
    };
    if let Some(ns) = ns {
        let nns = conf
            .get(&format!("dfs.ha.namenodes.{ns}"))
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect::<Vec<_>>();
        let mut out: Vec<Url> = nns
            .iter()
            .filter_map(|nn| {
                let k = format!("{key}.{ns}.{nn}");
                conf.get(&k).and_then(|a| to_url(scheme, a, &k).ok())
            })
            .collect();
        if out.is_empty() {
            // A federated, non-HA nameservice: dfs.namenode.http-address.<ns>.
            let k = format!("{key}.{ns}");
            if let Some(u) = conf.get(&k).and_then(|a| to_url(scheme, a, &k).ok()) {
                out.push(u);
            }
        }
        return out;
    }
    if let Some(u) = conf.get(key).and_then(|a| to_url(scheme, a, key).ok()) {
        return vec![u];
    }
    match fs_host {
        Some(h) => to_url(scheme, &format!("{h}:{port}"), "fs.defaultFS")
            .ok()
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}
