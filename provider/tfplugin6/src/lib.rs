//! A small server for Terraform's plugin protocol 6. A provider implements [`Provider`] and its
//! resources [`Resource`] (a schema plus create/read/update/delete/import); [`serve`] does the
//! go-plugin handshake, mutual TLS with Terraform's client certificate on a private unix
//! socket, the gRPC service, value encoding, generic planning and cancellation.

mod diag;
pub mod log;
mod plugin;
mod resource;
mod schema;
mod server;
pub mod value;

/// Generated protocol code (from `proto/`).
pub mod proto {
    #[allow(
        clippy::all,
        clippy::pedantic,
        unused_qualifications,
        missing_debug_implementations
    )]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    #[allow(
        clippy::all,
        clippy::pedantic,
        unused_qualifications,
        missing_debug_implementations
    )]
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use plugin::{
    MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, ServeError, serve, serve_grpc, socket_path_from_handshake,
};
pub use resource::{Provider, Resource};
pub use schema::{Attribute, Mode, Schema};
pub use value::{Type, Value};
