//! A fault-injecting TCP proxy that understands Kafka framing, and a tansu
//! broker that advertises the proxy's address (so that every connection the
//! producer makes, bootstrap and leader alike, goes through the proxy).
//!
//! Faults:
//! - [`FaultProxy::drop_produce_responses`]: for the next N Produce requests
//!   (any connection), forward the request, wait until the broker's response
//!   to it arrives at the proxy (so the broker certainly has the batch), then
//!   throw the response away and close both sides of that connection. The
//!   producer sees its request fail with a dropped connection and must retry
//!   a batch the broker already wrote.
//! - [`FaultProxy::inject_partition_error`]: the next Produce request that
//!   carries a batch the broker was not sent before reaches the broker
//!   without that batch (it is not written), and the proxy adds an error for that partition to the
//!   broker's answer (held back for a moment, so that the producer has
//!   more requests in flight when the error arrives). Requests and responses
//!   are decoded and re-encoded with the independent `kafka-protocol` crate.
//! - [`FaultProxy::swallow_requests`]: drop every request from clients
//!   unanswered until turned off, then cut every connection.
//! - [`FaultProxy::close_all`]: cut every open connection now.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PRODUCE: i16 = 0;

#[derive(Default)]
struct State {
    stop: AtomicBool,
    /// Requests from clients are read and dropped (see
    /// [`FaultProxy::swallow_requests`]).
    swallow: AtomicBool,
    /// Produce responses still to drop (armed faults).
    armed: AtomicUsize,
    /// Produce responses dropped so far (faults that happened).
    dropped: AtomicUsize,
    /// Produce requests forwarded so far.
    produce_requests: AtomicUsize,
    /// Connections accepted so far.
    accepted: AtomicUsize,
    /// Partition errors still to inject.
    injections: Mutex<VecDeque<Injection>>,
    /// Partition errors injected so far: (topic, partition, code).
    injected: Mutex<Vec<(String, i32, i16)>>,
    /// Every batch forwarded so far.
    seen: Mutex<HashSet<BatchKey>>,
    conns: Mutex<Vec<TcpStream>>,
    /// Request versions seen per API key (what clients negotiated).
    versions: Mutex<BTreeMap<i16, BTreeSet<i16>>>,
}

/// An error the proxy answers for one partition of a Produce request.
#[derive(Debug, Clone, Copy)]
struct Injection {
    code: i16,
    hold: Duration,
}

/// How to change the broker's answer to one Produce request.
struct Edit {
    version: i16,
    /// The request reached the broker as an ApiVersions v0 request (it had
    /// no other partition): answer entirely from here.
    replaced: bool,
    topic: TopicName,
    partition: i32,
    code: i16,
    hold: Duration,
}

/// Identifies a record batch across retries (a retry resends the same
/// bytes): topic, partition, CRC, length.
type BatchKey = (String, i32, u32, usize);

fn batch_key(topic: &TopicName, partition: i32, records: &Option<Bytes>) -> Option<BatchKey> {
    let r = records.as_ref()?;
    (r.len() >= 21).then(|| {
        (
            topic.0.to_string(),
            partition,
            u32::from_be_bytes([r[17], r[18], r[19], r[20]]),
            r.len(),
        )
    })
}

/// Notes every batch of a Produce request frame in `seen`. With `inj`,
/// also removes the first batch the broker has not been sent before (a
/// retry is left alone: a broker that already wrote it would not call it
/// invalid) and returns the frame to forward and the edit to apply to the
/// answer; `Ok(None)` when every batch is a retry.
fn note_and_strip(
    frame: &[u8],
    inj: Option<Injection>,
    seen: &Mutex<HashSet<BatchKey>>,
) -> Result<Option<(Vec<u8>, Edit)>, String> {
    let version = i16::from_be_bytes([frame[6], frame[7]]);
    let mut b = Bytes::copy_from_slice(&frame[4..]);
    let header = RequestHeader::decode(&mut b, ProduceRequest::header_version(version))
        .map_err(|e| e.to_string())?;
    let mut req = ProduceRequest::decode(&mut b, version).map_err(|e| e.to_string())?;
    let mut seen = seen.lock().unwrap();
    let mut fresh = None;
    for (ti, t) in req.topic_data.iter().enumerate() {
        for (pi, p) in t.partition_data.iter().enumerate() {
            if let Some(key) = batch_key(&t.name, p.index, &p.records) {
                if seen.insert(key) && fresh.is_none() {
                    fresh = Some((ti, pi));
                }
            }
        }
    }
    drop(seen);
    let (Some(inj), Some((ti, pi))) = (inj, fresh) else {
        return Ok(None);
    };
    let t = &mut req.topic_data[ti];
    let topic = t.name.clone();
    let partition = t.partition_data.remove(pi).index;
    if t.partition_data.is_empty() {
        req.topic_data.remove(ti);
    }
    let mut edit = Edit {
        version,
        replaced: false,
        topic,
        partition,
        code: inj.code,
        hold: inj.hold,
    };
    let mut out = BytesMut::new();
    if req.topic_data.is_empty() {
        // Nothing left to write: an ApiVersions v0 request with the same
        // correlation id keeps the broker's answers in order.
        edit.replaced = true;
        out.extend_from_slice(&18i16.to_be_bytes());
        out.extend_from_slice(&0i16.to_be_bytes());
        out.extend_from_slice(&header.correlation_id.to_be_bytes());
        out.extend_from_slice(&(-1i16).to_be_bytes());
    } else {
        header
            .encode(&mut out, ProduceRequest::header_version(version))
            .map_err(|e| e.to_string())?;
        req.encode(&mut out, version).map_err(|e| e.to_string())?;
    }
    let mut f = (out.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(&out);
    Ok(Some((f, edit)))
}

/// The broker's answer with the edit applied.
fn apply_edit(frame: &[u8], edit: &Edit) -> Result<Vec<u8>, String> {
    let v = edit.version;
    let mut b = Bytes::copy_from_slice(&frame[4..]);
    let (header, mut resp) = if edit.replaced {
        let corr = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
        (
            ResponseHeader::default().with_correlation_id(corr),
            ProduceResponse::default(),
        )
    } else {
        let h = ResponseHeader::decode(&mut b, ProduceResponse::header_version(v))
            .map_err(|e| e.to_string())?;
        (
            h,
            ProduceResponse::decode(&mut b, v).map_err(|e| e.to_string())?,
        )
    };
    let part = PartitionProduceResponse::default()
        .with_index(edit.partition)
        .with_error_code(edit.code)
        .with_base_offset(-1);
    match resp.responses.iter_mut().find(|t| t.name == edit.topic) {
        Some(t) => t.partition_responses.push(part),
        None => resp.responses.push(
            TopicProduceResponse::default()
                .with_name(edit.topic.clone())
                .with_partition_responses(vec![part]),
        ),
    }
    let mut out = BytesMut::new();
    header
        .encode(&mut out, ProduceResponse::header_version(v))
        .map_err(|e| e.to_string())?;
    resp.encode(&mut out, v).map_err(|e| e.to_string())?;
    let mut f = (out.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(&out);
    Ok(f)
}

/// A proxy on a loopback port forwarding to `127.0.0.1:target`.
pub struct FaultProxy {
    /// The proxy's port.
    pub port: u16,
    state: Arc<State>,
}

fn read_frame(s: &mut impl Read) -> Option<Vec<u8>> {
    let mut size = [0u8; 4];
    s.read_exact(&mut size).ok()?;
    let size = i32::from_be_bytes(size);
    if !(0..256 << 20).contains(&size) {
        return None;
    }
    let mut frame = vec![0u8; 4 + size as usize];
    frame[..4].copy_from_slice(&(size).to_be_bytes());
    s.read_exact(&mut frame[4..]).ok()?;
    Some(frame)
}

fn shut(streams: &[&TcpStream]) {
    for s in streams {
        let _ = s.shutdown(Shutdown::Both);
    }
}

impl FaultProxy {
    /// Starts a proxy on a free port.
    pub fn start(target: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(State::default());
        let st = state.clone();
        std::thread::Builder::new()
            .name("fault-proxy-accept".into())
            .spawn(move || {
                while !st.stop.load(Ordering::SeqCst) {
                    let client = match listener.accept() {
                        Ok((c, _)) => c,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(2));
                            continue;
                        }
                        Err(_) => break,
                    };
                    let Ok(broker) = TcpStream::connect(("127.0.0.1", target)) else {
                        drop(client);
                        continue;
                    };
                    st.accepted.fetch_add(1, Ordering::SeqCst);
                    Self::pump(client, broker, st.clone());
                }
            })
            .unwrap();
        FaultProxy { port, state }
    }

    fn pump(client: TcpStream, broker: TcpStream, st: Arc<State>) {
        client.set_nonblocking(false).unwrap();
        let _ = client.set_nodelay(true);
        let _ = broker.set_nodelay(true);
        {
            let mut c = st.conns.lock().unwrap();
            c.retain(|s| s.peer_addr().is_ok());
            c.push(client.try_clone().unwrap());
            c.push(broker.try_clone().unwrap());
        }
        // Correlation ids of Produce requests whose responses must be dropped.
        let doomed: Arc<Mutex<HashSet<i32>>> = Arc::default();
        // Correlation ids of Produce requests whose responses must be edited.
        let edits: Arc<Mutex<HashMap<i32, Edit>>> = Arc::default();
        let (mut c_in, mut b_out) = (client.try_clone().unwrap(), broker.try_clone().unwrap());
        let (st1, doomed1, edits1) = (st.clone(), doomed.clone(), edits.clone());
        std::thread::spawn(move || {
            while let Some(mut frame) = read_frame(&mut c_in) {
                if st1.swallow.load(Ordering::SeqCst) {
                    continue;
                }
                if frame.len() >= 12 {
                    let api_key = i16::from_be_bytes([frame[4], frame[5]]);
                    let corr = i32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]);
                    let api_version = i16::from_be_bytes([frame[6], frame[7]]);
                    st1.versions
                        .lock()
                        .unwrap()
                        .entry(api_key)
                        .or_default()
                        .insert(api_version);
                    if api_key == PRODUCE {
                        st1.produce_requests.fetch_add(1, Ordering::SeqCst);
                        let inj = st1.injections.lock().unwrap().front().copied();
                        let edited = note_and_strip(&frame, inj, &st1.seen)
                            .unwrap_or_else(|e| panic!("proxy cannot edit a Produce request: {e}"));
                        if let Some((f, edit)) = edited {
                            st1.injections.lock().unwrap().pop_front();
                            st1.injected.lock().unwrap().push((
                                edit.topic.0.to_string(),
                                edit.partition,
                                edit.code,
                            ));
                            edits1.lock().unwrap().insert(corr, edit);
                            frame = f;
                        } else {
                            let take = st1
                                .armed
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok();
                            if take {
                                doomed1.lock().unwrap().insert(corr);
                            }
                        }
                    }
                }
                if b_out.write_all(&frame).is_err() {
                    break;
                }
            }
            shut(&[&c_in, &b_out]);
        });
        let (mut b_in, mut c_out) = (broker, client);
        std::thread::spawn(move || {
            while let Some(frame) = read_frame(&mut b_in) {
                if frame.len() >= 8 {
                    let corr = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
                    if doomed.lock().unwrap().remove(&corr) {
                        // The broker answered (so it has the batch): the
                        // producer never hears it.
                        st.dropped.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    let edit = edits.lock().unwrap().remove(&corr);
                    if let Some(edit) = edit {
                        let edited = apply_edit(&frame, &edit)
                            .unwrap_or_else(|e| panic!("proxy cannot edit a Produce answer: {e}"));
                        std::thread::sleep(edit.hold);
                        if c_out.write_all(&edited).is_err() {
                            break;
                        }
                        continue;
                    }
                }
                if c_out.write_all(&frame).is_err() {
                    break;
                }
            }
            shut(&[&b_in, &c_out]);
        });
    }

    /// The request versions clients used through this proxy, per API key.
    pub fn versions_seen(&self) -> BTreeMap<i16, BTreeSet<i16>> {
        self.state.versions.lock().unwrap().clone()
    }

    /// Arms `n` more faults: each of the next `n` Produce requests is
    /// forwarded, and its response is swallowed and the connection closed.
    pub fn drop_produce_responses(&self, n: usize) {
        self.state.armed.fetch_add(n, Ordering::SeqCst);
    }

    /// The next Produce request (any connection) with a batch not sent
    /// before reaches the broker without that batch, and that partition is
    /// answered `code`, the answer held back `hold` (answers after it on
    /// the connection wait too).
    /// Takes precedence over [`drop_produce_responses`](Self::drop_produce_responses)
    /// for that request.
    pub fn inject_partition_error(&self, code: i16, hold: Duration) {
        self.state
            .injections
            .lock()
            .unwrap()
            .push_back(Injection { code, hold });
    }

    /// Partition errors not injected yet.
    pub fn injections_pending(&self) -> usize {
        self.state.injections.lock().unwrap().len()
    }

    /// Partition errors injected so far: (topic, partition, code).
    pub fn injected(&self) -> Vec<(String, i32, i16)> {
        self.state.injected.lock().unwrap().clone()
    }

    /// Disarms whatever is still armed; returns how many were.
    pub fn disarm(&self) -> usize {
        self.state.armed.swap(0, Ordering::SeqCst)
    }

    /// Faults still armed.
    pub fn armed(&self) -> usize {
        self.state.armed.load(Ordering::SeqCst)
    }

    /// Produce responses dropped so far.
    pub fn dropped(&self) -> usize {
        self.state.dropped.load(Ordering::SeqCst)
    }

    /// Produce requests forwarded so far.
    pub fn produce_requests(&self) -> usize {
        self.state.produce_requests.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// While `on`, every request from a client is read and dropped: the
    /// broker never sees it, so nothing is answered. Turning it off closes
    /// every open connection (the producer reconnects).
    pub fn swallow_requests(&self, on: bool) {
        self.state.swallow.store(on, Ordering::SeqCst);
        if !on {
            self.close_all();
        }
    }

    /// Closes every open connection.
    pub fn close_all(&self) {
        for c in self.state.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        self.close_all();
    }
}

use super::tansu::{free_port, tansu_bin_or_skip, Tansu};

/// A private tansu broker reachable only through a [`FaultProxy`]; both are
/// stopped on drop (the broker first).
pub struct TansuBehindProxy {
    /// The broker; its `bootstrap` is its own port, not the proxy's.
    pub tansu: Tansu,
    /// The proxy the broker advertises.
    pub proxy: FaultProxy,
    /// `127.0.0.1:PROXY_PORT`: what clients bootstrap from.
    pub bootstrap: String,
}

impl TansuBehindProxy {
    /// Starts tansu advertising a fresh proxy's address and creates `topic`.
    /// Returns `None` (after saying why) when tansu is not installed and `CI`
    /// is not set; panics in CI.
    pub fn start(topic: &str, partitions: i32) -> Option<TansuBehindProxy> {
        let bin = tansu_bin_or_skip()?;
        let tansu_port = free_port();
        let proxy = FaultProxy::start(tansu_port);
        let tansu = Tansu::start_advertising(bin, tansu_port, proxy.port);
        tansu.create_topic(topic, partitions);
        let bootstrap = format!("127.0.0.1:{}", proxy.port);
        Some(TansuBehindProxy {
            tansu,
            proxy,
            bootstrap,
        })
    }
}
