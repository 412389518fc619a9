//! A minimal blocking connection that speaks our codec over a plain
//! `TcpStream`: just enough to prove the bytes against real brokers.

use kafka_sync::protocol::messages::api_versions::{
    decode_api_versions_response, fallback_version, ApiVersionsRequest, ApiVersionsResponse,
};
use kafka_sync::protocol::{decode_response, encode_request, Message, Request};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One blocking broker connection with negotiated versions.
pub struct RawConn {
    stream: TcpStream,
    next_correlation_id: i32,
    /// What the broker said it supports.
    pub versions: ApiVersionsResponse,
}

impl RawConn {
    /// Connects and negotiates versions (ApiVersions v4 first, falling back
    /// to the broker's own maximum on UNSUPPORTED_VERSION).
    /// `addr` may be a comma-separated bootstrap list; the first entry is used.
    pub fn connect(addr: &str) -> RawConn {
        let addr = addr.split(',').next().unwrap_or(addr).trim();
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut conn = RawConn {
            stream,
            next_correlation_id: 1,
            versions: ApiVersionsResponse::default(),
        };
        let req = ApiVersionsRequest {
            client_software_name: "kafka-sync".into(),
            client_software_version: env!("CARGO_PKG_VERSION").into(),
        };
        let mut version = ApiVersionsRequest::MAX_VERSION;
        loop {
            let corr = conn.send(&req, version);
            let frame = conn.read_frame();
            let (got, resp) = decode_api_versions_response(&frame, version)
                .unwrap_or_else(|e| panic!("ApiVersions v{version}: {e} in {frame:02x?}"));
            assert_eq!(got, corr);
            if resp.error_code == 35 {
                assert!(version > 0, "broker refuses ApiVersions v0");
                version = fallback_version(&resp, version);
                continue;
            }
            assert_eq!(resp.error_code, 0, "ApiVersions error");
            conn.versions = resp;
            return conn;
        }
    }

    /// The highest version of `R` both sides support.
    pub fn version_of<R: Message>(&self) -> i16 {
        self.versions
            .pick_version::<R>()
            .unwrap_or_else(|| panic!("no common version for api {}", R::API_KEY))
    }

    /// Sends a request without waiting; returns its correlation id.
    pub fn send<R: Request>(&mut self, req: &R, version: i16) -> i32 {
        let corr = self.next_correlation_id;
        self.next_correlation_id += 1;
        let frame = encode_request(req, version, corr, Some("kafka-sync-test")).expect("encode");
        self.stream.write_all(&frame).expect("write request");
        corr
    }

    /// Reads one response frame (without its size prefix).
    pub fn read_frame(&mut self) -> Vec<u8> {
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).expect("read size");
        let size = i32::from_be_bytes(size);
        assert!((0..64 << 20).contains(&size), "bad frame size {size}");
        let mut frame = vec![0; size as usize];
        self.stream.read_exact(&mut frame).expect("read frame");
        frame
    }

    /// Sends `req` at `version` and decodes its response.
    pub fn call<R: Request>(&mut self, req: &R, version: i16) -> R::Response {
        let corr = self.send(req, version);
        let frame = self.read_frame();
        let (header, body) = decode_response::<R>(&frame, version).unwrap_or_else(|e| {
            panic!(
                "decode response of api {} v{version}: {e} in {frame:02x?}",
                R::API_KEY
            )
        });
        assert_eq!(header.correlation_id, corr, "correlation id");
        body
    }
}
