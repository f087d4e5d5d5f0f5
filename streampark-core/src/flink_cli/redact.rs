//! Masking secrets in command lines and CLI output before they reach errors or logs.

use std::sync::LazyLock;

use regex::Regex;

const MASK: &str = "******";

/// `key=value`, `key: value`, `key, value` (Flink's "Loading configuration property: k, v")
/// where the key names a secret, the way Flink's own `GlobalConfiguration.isSensitive` does.
static KEY_VALUE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?P<k>[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|credential|apikey|api-key|api\.key|access-key|access\.key|accesskey|private-key|private\.key|account\.key|auth-params|service-key|basic-auth|jaas\.config|http-headers)[A-Za-z0-9_.\-]*)(?P<sep>\s*(?:=|:|,)\s*)(?P<v>"[^"]*"|'[^']*'|[^\s,;&"']+)"#,
    )
    .ok()
});

/// `Authorization: Bearer …` / `Basic …` / `Negotiate …`.
static AUTH_SCHEME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<s>bearer|basic|negotiate)\s+[A-Za-z0-9._~+/=\-]{6,}").ok()
});

/// Credentials in URLs: `scheme://user:password@host`.
static URL_USERINFO: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?P<p>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+@").ok());

/// Masks secrets in `text`: values of secret-looking keys (`-Ds3.secret-key=…`,
/// `password: …`, `…token=…`), HTTP authorization schemes and URL credentials.
///
/// ```
/// use streampark_core::flink_cli::redact;
/// let s = redact("flink run -Dfs.s3a.secret.key=AKIA123 -Dssl.keystore-password=p@ss http://u:pw@h/x");
/// assert!(!s.contains("AKIA123") && !s.contains("p@ss") && !s.contains(":pw@"));
/// assert!(s.contains("-Dfs.s3a.secret.key=******"));
/// ```
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(re) = KEY_VALUE.as_ref() {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                format!("{}{}{MASK}", &c["k"], &c["sep"])
            })
            .into_owned();
    }
    if let Some(re) = AUTH_SCHEME.as_ref() {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                format!("{} {MASK}", &c["s"])
            })
            .into_owned();
    }
    if let Some(re) = URL_USERINFO.as_ref() {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                format!("{}{MASK}@", &c["p"])
            })
            .into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_dynamic_properties_and_config_lines() {
        let cases = [
            ("-Dsecurity.ssl.rest.keystore-password=hunter2", "hunter2"),
            (
                "-Dfs.azure.account.key.acc.blob.core.windows.net=QUJD",
                "QUJD",
            ),
            (
                "INFO GlobalConfiguration - Loading configuration property: s3.secret-key, xyz987",
                "xyz987",
            ),
            ("kubernetes.token: \"abc def\"", "abc def"),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
                "eyJhbGciOiJIUzI1NiJ9",
            ),
            ("hdfs://alice:s3cr3t@nn:8020/x", "s3cr3t"),
            ("DINGTALK_TOKEN=tok123456", "tok123456"),
        ];
        for (text, secret) in cases {
            let r = redact(text);
            assert!(!r.contains(secret), "{secret} survived in {r}");
            assert!(r.contains(MASK), "{r}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let t = "Job has been submitted with JobID 0a1b2c3d4e5f60718293a4b5c6d7e8f9 -Drest.port=8081 -Dsecurity.kerberos.login.use-ticket-cache=true";
        assert_eq!(redact(t), t);
    }
}
