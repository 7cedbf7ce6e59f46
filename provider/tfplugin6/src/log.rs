//! Provider logs as Terraform expects them on a plugin's stderr: one hclog JSON object per line
//! (`@level`, `@message`, `@module`, `@timestamp`, fields), so they appear under `TF_LOG` with
//! their level.

use std::io::Write;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(key(field), Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(key(field), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(key(field), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(key(field), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(key(field), Value::String(format!("{value:?}")));
    }
}

fn key(field: &Field) -> String {
    if field.name() == "message" {
        "@message".to_string()
    } else {
        field.name().to_string()
    }
}

struct HclogLayer {
    module: String,
}

impl<S: tracing::Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let mut line = fields.0;
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warn",
            tracing::Level::INFO => "info",
            tracing::Level::DEBUG => "debug",
            tracing::Level::TRACE => "trace",
        };
        line.insert("@level".into(), level.into());
        line.insert("@module".into(), Value::String(self.module.clone()));
        line.entry("@message")
            .or_insert(Value::String(String::new()));
        line.insert(
            "@timestamp".into(),
            Value::String(
                time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
        );
        let mut out = std::io::stderr().lock();
        let _ = writeln!(out, "{}", Value::Object(line));
    }
}

/// Sends `tracing` events to stderr as hclog JSON; `TF_LOG_PROVIDER` / `TF_LOG` pick the level
/// Terraform shows, so the provider logs at trace and lets Terraform filter.
pub fn init(provider: &str) {
    let layer = HclogLayer {
        module: format!("provider.terraform-provider-{provider}"),
    };
    // Our own crates at every level; the HTTP/2, gRPC and TLS stacks only when something is wrong.
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::TRACE)
        .with_target("h2", tracing::Level::WARN)
        .with_target("hyper", tracing::Level::WARN)
        .with_target("hyper_util", tracing::Level::WARN)
        .with_target("tonic", tracing::Level::WARN)
        .with_target("tower", tracing::Level::WARN)
        .with_target("rustls", tracing::Level::WARN)
        .with_target("reqwest", tracing::Level::WARN);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}
