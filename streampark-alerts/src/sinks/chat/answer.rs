//! How a vendor's answer to the POST is read: a code in a JSON body, an `ok` text, or the
//! HTTP status.

use serde_json::Value;
use streampark_core::AlertError;

use crate::http::{self, Answer};

/// How a vendor's answer to the POST says "delivered". Network errors, 429 and 5xx are
/// classified before this (see [`http::post_bytes`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum AnswerRules {
    /// A JSON body with a vendor code, 0 meaning success (DingTalk, WeCom, Feishu).
    Code(CodeRules),
    /// HTTP 200 with the body `ok` (Slack).
    OkText,
    /// Any 2xx (generic webhook).
    Status2xx,
}

/// Where a vendor puts its code and message, and which codes are retryable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeRules {
    /// Keys that may hold the code; the first one present is read.
    pub(crate) code: &'static [&'static str],
    /// Keys that may hold the message; the first one present is read.
    pub(crate) message: &'static [&'static str],
    /// Statuses from this one up are rejections without reading the body (Feishu's older
    /// endpoints answer rate limits with HTTP 400 and a JSON code, so it starts at 401).
    pub(crate) reject_status_from: u16,
    /// Codes meaning "too fast" (`RateLimited`, retryable).
    pub(crate) rate_limited: &'static [i64],
    /// Codes meaning "busy" (`Unavailable`, retryable).
    pub(crate) busy: &'static [i64],
}

impl AnswerRules {
    /// Maps an answer to a result; errors name the sink and the redacted endpoint.
    pub(crate) fn check(&self, name: &str, shown: &str, answer: &Answer) -> Result<(), AlertError> {
        match self {
            AnswerRules::Code(rules) => rules.check(name, shown, answer),
            AnswerRules::OkText => {
                let body = answer.body.trim();
                if answer.status >= 300 {
                    return Err(AlertError::Rejected {
                        sink: name.into(),
                        endpoint: shown.into(),
                        code: format!("HTTP {}", answer.status),
                        message: body.chars().take(200).collect(),
                    });
                }
                if body != "ok" {
                    return Err(AlertError::Protocol {
                        sink: name.into(),
                        endpoint: shown.into(),
                        reason: format!(
                            "expected `ok`, got `{}`",
                            body.chars().take(80).collect::<String>()
                        ),
                    });
                }
                Ok(())
            }
            AnswerRules::Status2xx if answer.status >= 300 => {
                Err(http::rejected_status(name, shown, answer))
            }
            AnswerRules::Status2xx => Ok(()),
        }
    }
}

impl CodeRules {
    fn check(&self, name: &str, shown: &str, answer: &Answer) -> Result<(), AlertError> {
        if answer.status >= self.reject_status_from {
            return Err(http::rejected_status(name, shown, answer));
        }
        let v = http::parse_answer(name, shown, answer)?;
        let first = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k));
        let Some(code) = first(self.code).and_then(Value::as_i64) else {
            let reason = match self.code {
                [one] => format!("answer has no `{one}`"),
                keys => format!(
                    "answer has neither {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" nor ")
                ),
            };
            return Err(AlertError::Protocol {
                sink: name.into(),
                endpoint: shown.into(),
                reason,
            });
        };
        if code == 0 {
            return Ok(());
        }
        if self.rate_limited.contains(&code) {
            return Err(AlertError::RateLimited {
                sink: name.into(),
                endpoint: shown.into(),
                code: code.to_string(),
                retry_after: None,
            });
        }
        if self.busy.contains(&code) {
            return Err(AlertError::Unavailable {
                sink: name.into(),
                endpoint: shown.into(),
                status: Some(answer.status),
                source: None,
            });
        }
        Err(AlertError::Rejected {
            sink: name.into(),
            endpoint: shown.into(),
            code: code.to_string(),
            message: first(self.message)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        })
    }
}

#[cfg(test)]
impl AnswerRules {
    /// Checks an answer of `status` with `body`, as the sink named `s` at `e`.
    pub(crate) fn check_body(&self, status: u16, body: &str) -> Result<(), AlertError> {
        self.check(
            "s",
            "e",
            &Answer {
                status,
                body: body.into(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rules: AnswerRules, status: u16, body: &str) -> Result<(), AlertError> {
        rules.check_body(status, body)
    }

    const TWO_KEYS: AnswerRules = AnswerRules::Code(CodeRules {
        code: &["code", "StatusCode"],
        message: &["msg", "StatusMessage"],
        reject_status_from: 400,
        rate_limited: &[7],
        busy: &[8],
    });

    #[test]
    fn code_rules_read_the_first_present_key() {
        assert!(check(TWO_KEYS, 200, r#"{"StatusCode":0}"#).is_ok());
        // `code` is present (but no integer): `StatusCode` is not consulted.
        let e = check(TWO_KEYS, 200, r#"{"code":"x","StatusCode":0}"#).unwrap_err();
        assert!(
            e.to_string().contains("neither `code` nor `StatusCode`"),
            "{e}"
        );
        let e = check(TWO_KEYS, 200, r#"{"StatusCode":5,"StatusMessage":"no"}"#).unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, message, .. } if code == "5" && message == "no"),
            "{e:?}"
        );
        assert!(matches!(
            check(TWO_KEYS, 200, r#"{"code":7}"#).unwrap_err(),
            AlertError::RateLimited { .. }
        ));
        assert!(matches!(
            check(TWO_KEYS, 200, r#"{"code":8}"#).unwrap_err(),
            AlertError::Unavailable {
                status: Some(200),
                ..
            }
        ));
        let e = check(TWO_KEYS, 400, r#"{"code":0}"#).unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, .. } if code == "HTTP 400"),
            "{e:?}"
        );
    }

    #[test]
    fn ok_text_and_status_rules() {
        assert!(check(AnswerRules::OkText, 200, "ok\n").is_ok());
        let e = check(AnswerRules::OkText, 200, "fine").unwrap_err();
        assert!(matches!(e, AlertError::Protocol { .. }), "{e:?}");
        let e = check(AnswerRules::OkText, 400, " invalid_payload ").unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, message, .. }
                if code == "HTTP 400" && message == "invalid_payload"),
            "{e:?}"
        );
        assert!(check(AnswerRules::Status2xx, 204, "").is_ok());
        let e = check(AnswerRules::Status2xx, 302, "moved").unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, .. } if code == "HTTP 302")
                && !e.is_retryable(),
            "{e:?}"
        );
    }
}
