//! A loopback Amazon Bedrock Runtime emulator (work in progress).

pub mod http;

pub use http::{HttpRequest, HttpResponse};
