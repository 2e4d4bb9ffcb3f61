//! Schemas of the envelope (`envelope.rs` writes it as bytes; these describe it).

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

use travel_domain::ErrorCode;

/// A successful answer.
#[derive(ToSchema)]
#[allow(dead_code)] // a description of the bytes `Success` writes
pub struct Envelope<T> {
    /// Always true.
    success: bool,
    data: T,
    /// When the answer was made (RFC 3339, UTC).
    #[schema(format = DateTime, example = "2026-11-27T10:30:00Z")]
    timestamp: String,
    /// Always "v1".
    #[schema(example = "v1")]
    version: String,
}

/// A failed answer.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorEnvelope {
    /// Always false.
    success: bool,
    error: ErrorBody,
    #[schema(format = DateTime, example = "2026-11-27T10:30:00Z")]
    timestamp: String,
}

/// What went wrong, and with which input.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    code: Code,
    /// A human-readable explanation.
    message: String,
    /// The offending input, when one parameter is at fault.
    details: Option<ErrorDetails>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetails {
    /// The parameter, header or body field at fault.
    #[schema(example = "symbols")]
    parameter: Option<String>,
    /// The value received, cut to 64 characters.
    #[schema(example = "XYZ")]
    provided: Option<String>,
    /// What the parameter accepts.
    #[schema(example = "ISO 4217 code of a supported currency")]
    expected: Option<String>,
}

/// The machine-readable error code: one of `ErrorCode`'s, each with a fixed HTTP status.
pub struct Code;

impl PartialSchema for Code {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .description(Some(
                "Machine-readable error code; each maps to one HTTP status (api-v1.md)",
            ))
            .into()
    }
}

impl ToSchema for Code {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}
