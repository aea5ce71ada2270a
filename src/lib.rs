#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod auth;
mod client;
pub mod converse;
pub mod credentials;
mod endpoint;
mod error;
mod event;
#[forbid(unsafe_code)]
pub mod eventstream;
pub mod extract;
#[cfg(feature = "capi")]
mod ffi;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod operation;
mod profile;
mod redact;
mod request;
mod retry;
mod tls;
mod transport;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use client::{
    Client, ClientBuilder, EventStream, InvokeModelResponse, InvokeSummary, ResponseBodyObserver,
    RetryConfig, StreamState, Timeouts, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_IDLE_TIMEOUT, DEFAULT_RESPONSE_HEADERS_TIMEOUT,
};
pub use credentials::{Credentials, ProvideCredentials};
pub use error::{Error, ErrorClass, ErrorKind, Result, Timer};
pub use event::{Chunk, Event, EventDecoder, EventRef, UnknownEvent};
pub use redact::url as redact_url;
pub use request::{InvokeRequest, PerformanceConfigLatency, ServiceTier, Trace};
pub use retry::RetryMode;
pub use transport::CancelHandle;
