//! # bedrock-stream
//!
//! A small, blocking, runtime-free client for Amazon Bedrock Runtime's
//! `InvokeModelWithResponseStream`, with a stable C ABI.
//!
//! The response is read incrementally: bytes off the socket → event-stream frame decoder
//! ([`eventstream`]) → Bedrock event → the caller's iterator item or callback.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod auth;
mod client;
pub mod credentials;
mod endpoint;
mod error;
mod event;
mod ffi;
mod profile;
#[forbid(unsafe_code)]
pub mod eventstream;
pub mod extract;
mod request;
mod tls;
mod transport;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use client::{
    Client, ClientBuilder, EventStream, InvokeSummary, RetryConfig, Timeouts, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS, DEFAULT_READ_IDLE_TIMEOUT, DEFAULT_RESPONSE_HEADERS_TIMEOUT,
};
pub use credentials::{Credentials, ProvideCredentials};
pub use error::{Error, ErrorClass, ErrorKind, Result, Timer};
pub use event::{Chunk, Event, UnknownEvent};
pub use transport::CancelHandle;
pub use request::{InvokeRequest, PerformanceConfigLatency, ServiceTier, Trace};
