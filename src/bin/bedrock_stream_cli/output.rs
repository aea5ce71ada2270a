//! JSON lines written in a fixed field order, the flushed stdout they go to, and the failures of
//! a command (library errors and the tool's own).

use std::fmt;
use std::io::{self, Write};

use bedrock_stream::{Error, ErrorClass};
use serde::Serialize;

use super::exit;

/// A JSON object whose members keep the order they were added in.
#[derive(Debug, Clone, Default)]
pub struct JsonObj {
    buf: String,
}

impl JsonObj {
    /// `{}`.
    pub fn new() -> JsonObj {
        JsonObj::default()
    }

    /// Appends `"key": value`.
    pub fn field<T: Serialize + ?Sized>(mut self, key: &str, value: &T) -> JsonObj {
        let v = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        self.raw(key, &v);
        self
    }

    /// Appends `"key": value` only when `value` is `Some`.
    pub fn opt<T: Serialize>(self, key: &str, value: Option<T>) -> JsonObj {
        match value {
            Some(v) => self.field(key, &v),
            None => self,
        }
    }

    /// Appends `"key": {nested}`.
    pub fn obj(mut self, key: &str, nested: JsonObj) -> JsonObj {
        let v = nested.finish();
        self.raw(key, &v);
        self
    }

    /// Appends a member whose value is already JSON text.
    pub fn raw(&mut self, key: &str, json: &str) {
        if !self.buf.is_empty() {
            self.buf.push(',');
        }
        self.buf
            .push_str(&serde_json::to_string(key).unwrap_or_else(|_| "\"?\"".to_owned()));
        self.buf.push(':');
        self.buf.push_str(json);
    }

    /// The JSON text.
    pub fn finish(self) -> String {
        format!("{{{}}}", self.buf)
    }
}

/// Standard output, flushed after every line or text piece so that readers see each event as
/// soon as it arrived.
pub struct Out {
    w: io::StdoutLock<'static>,
}

impl Out {
    /// Locks stdout.
    pub fn new() -> Out {
        Out {
            w: io::stdout().lock(),
        }
    }

    /// Writes one line and flushes.
    pub fn line(&mut self, line: &str) -> io::Result<()> {
        self.w.write_all(line.as_bytes())?;
        self.w.write_all(b"\n")?;
        self.w.flush()
    }

    /// Writes text as is and flushes.
    pub fn text(&mut self, text: &str) -> io::Result<()> {
        self.w.write_all(text.as_bytes())?;
        self.w.flush()
    }
}

/// The exit code for a failed write to stdout (a closed pipe exits quietly).
pub fn output_failed(e: &io::Error) -> u8 {
    if e.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("bedrock-stream: cannot write to stdout: {e}");
    }
    exit::LOCAL_IO
}

/// Why a command failed: an error of the library, or one found by the tool itself (an unreadable
/// body file, a prompt that is missing, ...), which belongs to an error class as well.
#[derive(Debug)]
pub enum Failure {
    /// From the library.
    Lib(Error),
    /// Found by the tool.
    Local {
        /// Its class.
        class: ErrorClass,
        /// What to tell the user.
        message: String,
    },
    /// The command line lacks something only known at run time (a prompt when stdin is a
    /// terminal): exit 2, like clap's own errors.
    Usage {
        /// The subcommand.
        command: String,
        /// What is missing.
        message: String,
    },
}

impl Failure {
    /// A client-class failure found by the tool.
    pub fn client(message: impl Into<String>) -> Failure {
        Failure::Local {
            class: ErrorClass::Client,
            message: message.into(),
        }
    }

    /// The error class.
    pub fn class(&self) -> ErrorClass {
        match self {
            Failure::Lib(e) => e.class(),
            Failure::Local { class, .. } => *class,
            Failure::Usage { .. } => ErrorClass::Client,
        }
    }

    /// The exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage { .. } => exit::USAGE,
            _ => exit::of_class(self.class()),
        }
    }

    /// The members of an error line after `outcome`: kind, code, message, http_status,
    /// request_id, retryable, events_delivered, attempts, fields.
    pub fn json_members(&self, obj: JsonObj) -> JsonObj {
        match self {
            Failure::Lib(e) => error_members(obj, e),
            Failure::Local { .. } | Failure::Usage { .. } => obj
                .field("kind", self.class().as_str())
                .field("code", &None::<&str>)
                .field(
                    "message",
                    match self {
                        Failure::Local { message, .. } | Failure::Usage { message, .. } => {
                            message.as_str()
                        }
                        Failure::Lib(e) => e.message(),
                    },
                )
                .field("http_status", &None::<u16>)
                .field("request_id", &None::<&str>)
                .field("retryable", &false)
                .field("events_delivered", &0u64)
                .field("attempts", &0u32)
                .obj("fields", JsonObj::new()),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Lib(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Lib(e) => {
                write!(f, "{} error", e.class().as_str())?;
                if let Some(code) = e.code() {
                    write!(f, " {code}")?;
                }
                if let Some(status) = e.http_status() {
                    write!(f, " (HTTP {status})")?;
                }
                write!(f, ": {}", e.message())?;
                if let Some(m) = e.original_message() {
                    write!(f, " [original message: {m}]")?;
                }
                if let Some(id) = e.request_id() {
                    write!(f, " [request id {id}]")?;
                }
                if e.events_delivered() > 0 {
                    write!(f, " [after {} events]", e.events_delivered())?;
                }
                match e.attempts() {
                    0 => {}
                    1 => f.write_str(" [1 attempt]")?,
                    n => write!(f, " [{n} attempts]")?,
                }
                Ok(())
            }
            Failure::Local { class, message } => write!(f, "{} error: {message}", class.as_str()),
            Failure::Usage { command, message } => write!(
                f,
                "{message}\n\nUsage: bedrock-stream {command} [OPTIONS] --model-id <ID> [PROMPT]\n\n\
                 For more information, try 'bedrock-stream {command} --help'."
            ),
        }
    }
}

/// The members describing a library error (see `invoke --help`).
pub fn error_members(obj: JsonObj, e: &Error) -> JsonObj {
    obj.field("kind", e.class().as_str())
        .field("code", &e.code())
        .field("message", e.message())
        .field("http_status", &e.http_status())
        .field("request_id", &e.request_id())
        .field("retryable", &e.is_retryable())
        .field("events_delivered", &e.events_delivered())
        .field("attempts", &e.attempts())
        .obj("fields", error_fields(e))
}

/// The extra members of an error: those of the exception shape, and the timer or decoder error.
pub fn error_fields(e: &Error) -> JsonObj {
    JsonObj::new()
        .opt("originalStatusCode", e.original_status_code())
        .opt("originalMessage", e.original_message())
        .opt("resourceName", e.resource_name())
        .opt("timer", e.timer().map(|t| t.as_str()))
        .opt("decodeError", e.decode_error_kind().map(|k| k.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_order_and_are_escaped() {
        let line = JsonObj::new()
            .field("b", "x\"\n")
            .field("a", &1)
            .opt("skip", None::<u8>)
            .obj("o", JsonObj::new().field("z", &true))
            .finish();
        assert_eq!(line, r#"{"b":"x\"\n","a":1,"o":{"z":true}}"#);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["o"]["z"], true);
    }

    #[test]
    fn local_failures_have_the_full_error_shape() {
        let line = Failure::client("no prompt")
            .json_members(JsonObj::new().field("outcome", "error"))
            .finish();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["kind"], "client");
        assert_eq!(v["message"], "no prompt");
        assert!(v["code"].is_null() && v["fields"].is_object());
        assert_eq!(Failure::client("x").exit_code(), exit::CLIENT);
    }
}
