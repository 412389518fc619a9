//! The Kafka wire protocol: primitives, headers, framing, error codes and one
//! module per API message.
//!
//! This layer is pure: it turns values into bytes and bytes into values, and
//! knows nothing about sockets, threads or time. Message layouts follow the
//! JSON message definitions of Apache Kafka
//! (`clients/src/main/resources/common/message/*.json`).
//!
//! # Conventions
//!
//! - Each message body is a struct implementing [`Message`], with its API key,
//!   supported version range and first flexible version as constants.
//! - Fields that exist only in some versions are always present in the struct;
//!   at versions that lack them they are written as nothing and read as their
//!   default. Encoding a non-default value at a version that cannot carry it
//!   is an [`EncodeError`] only where silently dropping it would change meaning.
//! - Tagged fields that we know are decoded; unknown tagged fields are skipped.
//! - Decoders never panic and never allocate more than the frame holds.

pub mod error;
pub mod header;
pub mod messages;
pub mod primitives;

pub use error::ErrorCode;
pub use header::{RequestHeader, ResponseHeader};
pub use primitives::{DecodeError, EncodeError, Put, Reader};

/// A message body (request or response) with a versioned wire encoding.
pub trait Message: Sized {
    /// The API key this message belongs to.
    const API_KEY: i16;
    /// Lowest version this implementation encodes and decodes.
    const MIN_VERSION: i16;
    /// Highest version this implementation encodes and decodes.
    const MAX_VERSION: i16;
    /// First flexible (KIP-482) version; `i16::MAX` when the API has none.
    const FIRST_FLEXIBLE: i16;

    /// Appends the body at `version` to `buf`.
    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError>;

    /// Decodes the body at `version` from `r`.
    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError>;

    /// Whether `version` uses the flexible encoding.
    fn is_flexible(version: i16) -> bool {
        version >= Self::FIRST_FLEXIBLE
    }

    /// Fails unless `version` is within this implementation's range.
    fn check_version(version: i16) -> Result<(), DecodeError> {
        if (Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version) {
            Ok(())
        } else {
            Err(DecodeError::UnsupportedVersion {
                api_key: Self::API_KEY,
                version,
            })
        }
    }

    /// Like [`Message::check_version`], for encoders.
    fn check_encode_version(version: i16) -> Result<(), EncodeError> {
        Self::check_version(version).map_err(|_| EncodeError::UnsupportedVersion {
            api_key: Self::API_KEY,
            version,
        })
    }
}

/// A request body: a [`Message`] with a matching response type.
pub trait Request: Message {
    /// The body the broker answers with.
    type Response: Message;
}

/// Encodes one whole request frame: size prefix, request header and body.
pub fn encode_request<R: Request>(
    req: &R,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
) -> Result<Vec<u8>, EncodeError> {
    let mut buf = Vec::with_capacity(64);
    encode_request_into(&mut buf, req, version, correlation_id, client_id)?;
    Ok(buf)
}

/// Appends one whole request frame (size prefix, header, body) to `buf`.
pub fn encode_request_into<R: Request>(
    buf: &mut Vec<u8>,
    req: &R,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
) -> Result<(), EncodeError> {
    R::check_encode_version(version)?;
    let header = (R::API_KEY, version, correlation_id, client_id);
    write_frame(buf, header, R::is_flexible(version), 0, |buf| {
        req.encode(buf, version)
    })
}

/// Appends one request frame: the int32 size, the request header
/// `(api_key, version, correlation_id, client_id)` (v2 when `flexible`), then
/// what `body` writes; the size counts `extra` bytes that are not in `buf`
/// (sent alongside it, e.g. shared record batches). Shared by every request
/// encoder.
pub(crate) fn write_frame(
    buf: &mut Vec<u8>,
    header: (i16, i16, i32, Option<&str>),
    flexible: bool,
    extra: usize,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let (api_key, version, correlation_id, client_id) = header;
    let start = buf.len();
    buf.put_i32(0);
    header::encode_request_header(buf, api_key, version, correlation_id, client_id, flexible)?;
    body(buf)?;
    let size = i32::try_from(buf.len() - start - 4 + extra)
        .map_err(|_| EncodeError::TooLong("request frame"))?;
    buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// Whether responses of this API at `version` use response header v1.
/// ApiVersions responses always use header v0 so that a client can read the
/// error of a version it does not understand.
pub fn response_header_is_flexible<R: Request>(version: i16) -> bool {
    R::API_KEY != messages::api_versions::API_KEY && R::is_flexible(version)
}

/// Decodes a response frame *without* its size prefix: header and body.
///
/// Bytes after a complete body are ignored, as the Java client does: some
/// brokers add them (librdkafka's mock cluster ends flexible Metadata
/// responses with one extra tag byte). [`decode_response_strict`] rejects them.
pub fn decode_response<R: Request>(
    frame: &[u8],
    version: i16,
) -> Result<(ResponseHeader, R::Response), DecodeError> {
    let mut r = Reader::new(frame);
    let header = ResponseHeader::decode(&mut r, response_header_is_flexible::<R>(version))?;
    let body = R::Response::decode(&mut r, version)?;
    Ok((header, body))
}

/// Like [`decode_response`], but trailing bytes are an error.
pub fn decode_response_strict<R: Request>(
    frame: &[u8],
    version: i16,
) -> Result<(ResponseHeader, R::Response), DecodeError> {
    let mut r = Reader::new(frame);
    let header = ResponseHeader::decode(&mut r, response_header_is_flexible::<R>(version))?;
    let body = R::Response::decode(&mut r, version)?;
    r.finish()?;
    Ok((header, body))
}

/// Encodes a response frame (size prefix, header, body); used by tests and
/// fault-injecting proxies that play the broker.
pub fn encode_response<R: Request>(
    resp: &R::Response,
    version: i16,
    correlation_id: i32,
) -> Result<Vec<u8>, EncodeError> {
    let mut buf = vec![0; 4];
    ResponseHeader { correlation_id }.encode(&mut buf, response_header_is_flexible::<R>(version));
    resp.encode(&mut buf, version)?;
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}

/// Decodes a request frame *without* its size prefix (header and body);
/// used by tests and tools that play the broker.
pub fn decode_request<R: Request>(frame: &[u8]) -> Result<(RequestHeader, R), DecodeError> {
    let mut r = Reader::new(frame);
    let api_key = Reader::new(frame).i16()?;
    let version = Reader::new(r.rest().get(2..).unwrap_or(&[])).i16()?;
    if api_key != R::API_KEY {
        return Err(DecodeError::InvalidValue("api_key"));
    }
    let header = RequestHeader::decode(&mut r, R::is_flexible(version))?;
    let body = R::decode(&mut r, version)?;
    r.finish()?;
    Ok((header, body))
}
