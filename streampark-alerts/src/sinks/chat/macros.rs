//! The macros that give each chat sink its shared builder setters and its `AlertSink` impl.

/// Implements [`ChatParts`] and [`streampark_core::AlertSink`] (through [`send`]) for a
/// chat sink with a `core: ChatCore` field and an inherent `payload(&Alert)`.
macro_rules! chat_alert_sink {
    ($sink:ty) => {
        impl $crate::sinks::chat::ChatParts for $sink {
            fn core(&self) -> &$crate::sinks::chat::ChatCore {
                &self.core
            }
            fn render(
                &self,
                alert: &streampark_core::Alert,
            ) -> Result<serde_json::Value, streampark_core::AlertError> {
                self.payload(alert)
            }
        }

        #[async_trait::async_trait]
        impl streampark_core::AlertSink for $sink {
            fn name(&self) -> &str {
                &self.core.name
            }

            async fn send(
                &self,
                alert: &streampark_core::Alert,
            ) -> Result<(), streampark_core::AlertError> {
                $crate::sinks::chat::send(self, alert).await
            }
        }
    };
}
pub(crate) use chat_alert_sink;

/// The setters every chat sink builder shares, over its `chat: ChatSettings` field, with the
/// vendor's wording (`name = setter: "doc"`). A vendor leaves out what it does not take:
/// the signing `secret`, the mention kinds (`mobile`, `user`, `email`, `all`), the `title`.
/// Also implements [`ChatBuilder`], which tells the router which of them it takes.
macro_rules! chat_setters {
    (@present) => { false };
    (@present $($t:tt)+) => { true };
    (@push $fn:ident, $field:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $fn(mut self, value: impl Into<String>) -> Self {
            self.chat.mentions.$field.push(value.into());
            self
        }
    };
    (
        $builder:ty, kind = $kind:literal, url = $url_doc:literal,
        $(secret = $secret_fn:ident : $secret_doc:literal,)?
        $(mobile = $mobile_fn:ident : $mobile_doc:literal,)?
        $(user = $user_fn:ident : $user_doc:literal,)?
        $(email = $email_fn:ident : $email_doc:literal,)?
        $(all = $all_fn:ident : $all_doc:literal,)?
        $(title = $title_doc:literal,)?
        body = $body_doc:literal $(,)?
    ) => {
        impl $builder {
            #[doc = concat!("Name for errors and spans (default `", $kind, "`).")]
            pub fn with_name(mut self, name: impl Into<String>) -> Self {
                self.chat.name = Some(name.into());
                self
            }
            #[doc = $url_doc]
            pub fn with_url(mut self, url: impl Into<String>) -> Self {
                self.chat.url = Some($crate::secret::Secret::new(url));
                self
            }
            $(
            #[doc = $secret_doc]
            pub fn $secret_fn(mut self, secret: impl Into<String>) -> Self {
                self.chat.secret = Some($crate::secret::Secret::new(secret));
                self
            }
            )?
            $($crate::sinks::chat::chat_setters!(@push $mobile_fn, mobiles, $mobile_doc);)?
            $($crate::sinks::chat::chat_setters!(@push $user_fn, user_ids, $user_doc);)?
            $($crate::sinks::chat::chat_setters!(@push $email_fn, emails, $email_doc);)?
            $(
            #[doc = $all_doc]
            pub fn $all_fn(mut self, all: bool) -> Self {
                self.chat.mentions.all = all;
                self
            }
            )?
            $(
            #[doc = $title_doc]
            pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
                self.chat.title = Some(t.into());
                self
            }
            )?
            #[doc = $body_doc]
            pub fn with_body_template(mut self, t: impl Into<String>) -> Self {
                self.chat.body = Some(t.into());
                self
            }
            /// The HTTP client (tests point it anywhere; the default is the SDK's rustls client).
            pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
                self.chat.client = Some(client);
                self
            }
        }

        impl $crate::sinks::chat::ChatBuilder for $builder {
            const TAKES: $crate::sinks::chat::Takes = $crate::sinks::chat::Takes {
                secret: $crate::sinks::chat::chat_setters!(@present $($secret_fn)?),
                mobiles: $crate::sinks::chat::chat_setters!(@present $($mobile_fn)?),
                user_ids: $crate::sinks::chat::chat_setters!(@present $($user_fn)?),
                emails: $crate::sinks::chat::chat_setters!(@present $($email_fn)?),
                all: $crate::sinks::chat::chat_setters!(@present $($all_fn)?),
                title: $crate::sinks::chat::chat_setters!(@present $($title_doc)?),
            };

            fn chat_settings(&mut self) -> &mut $crate::sinks::chat::ChatSettings {
                &mut self.chat
            }
        }
    };
}
pub(crate) use chat_setters;
