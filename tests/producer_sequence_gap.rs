//! Idempotence after a lost request, against tansu (which checks sequence
//! numbers strictly), through a TCP proxy that can swallow requests.
//!
//! A batch that was sealed with a sequence number, sent, never reached the
//! broker, and then expired leaves a hole in the partition's sequence. The
//! Java client bumps the producer epoch (KIP-360) or takes a new producer id
//! and restarts the partition's sequence at 0, so later records are
//! delivered. A producer that keeps counting gets OUT_OF_ORDER_SEQUENCE_NUMBER
//! for every later batch of that partition.

mod common;

use common::{consume_all, in_ci};
use kafka_sync::{DeliveryError, Producer, ProducerConfig, ProducerRecord};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Forwards connections to `target`. While `swallow` is on, bytes from
/// clients are read and dropped (the broker never sees them, so nothing is
/// answered); turn it on only while the client is idle, so that it never
/// applies to half a request. Turning it off closes every open connection.
struct Proxy {
    port: u16,
    swallow: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let proxy = Proxy {
            port,
            swallow: Arc::new(AtomicBool::new(false)),
            generation: Arc::new(AtomicU64::new(0)),
            conns: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (swallow, generation, conns, stop) = (
            proxy.swallow.clone(),
            proxy.generation.clone(),
            proxy.conns.clone(),
            proxy.stop.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let client = match listener.accept() {
                    Ok((c, _)) => c,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => break,
                };
                client.set_nonblocking(false).unwrap();
                let Ok(broker) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let gen = generation.load(Ordering::SeqCst);
                let swallow = swallow.clone();
                {
                    let mut c = conns.lock().unwrap();
                    c.push(client.try_clone().unwrap());
                    c.push(broker.try_clone().unwrap());
                }
                let generation2 = generation.clone();
                let (mut c_in, mut b_out) =
                    (client.try_clone().unwrap(), broker.try_clone().unwrap());
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match c_in.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if generation2.load(Ordering::SeqCst) != gen {
                            break;
                        }
                        if !swallow.load(Ordering::SeqCst) && b_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_in.shutdown(Shutdown::Both);
                    let _ = b_out.shutdown(Shutdown::Both);
                });
                let (mut b_in, mut c_out) = (broker, client);
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match b_in.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = b_in.shutdown(Shutdown::Both);
                    let _ = c_out.shutdown(Shutdown::Both);
                });
            }
        });
        proxy
    }

    /// Switches mode; turning swallowing off closes every open connection.
    fn set_swallow(&self, on: bool) {
        self.swallow.store(on, Ordering::SeqCst);
        if on {
            return;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// A private tansu that advertises another (the proxy's) port.
struct TansuBehind {
    child: Child,
    dir: PathBuf,
}

impl Drop for TansuBehind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tansu_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TANSU_BIN") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(std::env::var_os("HOME")?).join(".cache/ksync/tansu/bin/tansu");
    p.exists().then_some(p)
}

/// Starts tansu on `port`, advertising `advertised_port`; creates `topic`.
fn start_tansu_behind(
    port: u16,
    advertised_port: u16,
    topic: &str,
    partitions: i32,
) -> Option<TansuBehind> {
    let Some(bin) = tansu_bin() else {
        assert!(!in_ci(), "tansu is required in CI");
        eprintln!("SKIPPED: tansu not found (set TANSU_BIN)");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("ksync-tansu-gap-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = std::fs::File::create(dir.join("tansu.log")).unwrap();
    let child = Command::new(&bin)
        .current_dir(&dir)
        .args([
            "broker",
            "--listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{advertised_port}"),
            "--storage-engine",
            "memory://tansu/",
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start tansu");
    let t = TansuBehind { child, dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tansu did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new(&bin)
        .current_dir(&t.dir)
        .args([
            "topic",
            "create",
            topic,
            "--broker",
            &format!("tcp://127.0.0.1:{port}"),
            "--partitions",
            &partitions.to_string(),
        ])
        .output()
        .expect("tansu topic create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(t)
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn later_records_are_delivered_after_a_lost_sequenced_batch_expired() {
    // The proxy needs tansu's port and tansu needs the proxy's: bind the
    // proxy first, to a port tansu will advertise.
    let tansu_port_holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let tansu_port = tansu_port_holder.local_addr().unwrap().port();
    drop(tansu_port_holder);
    let proxy = Proxy::start(tansu_port);
    let Some(_tansu) = start_tansu_behind(tansu_port, proxy.port, "gap", 1) else {
        return;
    };
    let bootstrap = format!("127.0.0.1:{}", proxy.port);
    let delivery_timeout = Duration::from_millis(1500);
    let producer: Producer<String, String> = Producer::new(
        ProducerConfig::builder()
            .bootstrap_servers(&bootstrap)
            .linger(Duration::ZERO)
            .max_block(Duration::from_secs(5))
            .request_timeout(Duration::from_millis(500))
            .delivery_timeout(delivery_timeout)
            .retry_backoff(Duration::from_millis(50))
            .reconnect_backoff(Duration::from_millis(50))
            .reconnect_backoff_max(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap();
    producer
        .send(ProducerRecord::new("gap", "before".to_string()))
        .unwrap()
        .wait()
        .expect("delivered through the proxy");

    // This one is sent (with the next sequence number) and swallowed.
    proxy.set_swallow(true);
    let err = producer
        .send(ProducerRecord::new("gap", "lost".to_string()))
        .unwrap()
        .wait_timeout(delivery_timeout + Duration::from_secs(3))
        .expect("expired in time")
        .expect_err("never reached the broker");
    println!("lost: {err}");
    assert!(
        matches!(err, DeliveryError::DeliveryTimeout { .. }),
        "{err}"
    );
    assert!(err.may_have_persisted(), "it was sent: {err:?}");

    proxy.set_swallow(false);
    let mut results = Vec::new();
    for i in 0..3 {
        let r = producer
            .send(ProducerRecord::new("gap", format!("after-{i}")))
            .unwrap()
            .wait_timeout(Duration::from_secs(5))
            .expect("completed");
        println!("after-{i}: {r:?}");
        results.push(r);
    }
    producer.close(Duration::from_secs(5));
    for (i, r) in results.iter().enumerate() {
        assert!(
            r.is_ok(),
            "after-{i} was not delivered: {:?}",
            r.as_ref().unwrap_err()
        );
    }
    let got = consume_all(&bootstrap, "gap", &[0], 4, Duration::from_secs(15));
    let values: Vec<String> = got
        .iter()
        .map(|c| String::from_utf8(c.value.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(values, ["before", "after-0", "after-1", "after-2"]);
}
