//! Real Apache Kafka for the tests: a KRaft cluster (combined
//! broker+controller nodes, static quorum) on loopback, started from the jars
//! that `scripts/kafka.sh` fetches from Maven Central into
//! `~/.cache/ksync/kafka/VERSION` (or `$KSYNC_CACHE/kafka/VERSION`).
//!
//! - [`KafkaCluster::shared`]: one 3-node cluster per test binary and version,
//!   shared by its tests (each uses its own topics, see [`unique_topic`]).
//!   Outside CI a Kafka that cannot be set up skips the test with a visible
//!   `SKIPPED` line; with `CI` set it fails it.
//! - Faults: [`KafkaCluster::kill`] (SIGKILL), [`KafkaCluster::pause`] /
//!   [`KafkaCluster::resume`] (SIGSTOP / SIGCONT: a hung broker),
//!   [`KafkaCluster::shutdown`] (SIGTERM: controlled shutdown, leaders move),
//!   [`KafkaCluster::restart`] (same ports and data dir),
//!   [`KafkaCluster::wait_fully_replicated`].
//! - Each node also has a client listener behind a [`FaultProxy`]: clients
//!   that bootstrap from [`KafkaCluster::proxied_bootstrap`] see only proxy
//!   addresses, so the proxy can cut their connections while replication
//!   goes on undisturbed.
//! - Broker logs stay in the cluster directory; [`KafkaCluster::logs_on_panic`]
//!   prints their tails when a test fails.
//!
//! Broker processes are spawned from one long-lived thread with
//! `PR_SET_PDEATHSIG`, so they die with the test process even though the
//! shared cluster (a static) is never dropped.
#![allow(dead_code)]

use super::node::{
    admin_clients, create_topic, create_topic_with, leak_or_skip, loopback_list, partitions,
    quorum_voters, replication_properties, server_common, Node, Nodes,
};
pub use super::node::{LogsOnPanic, PartitionState};
use super::proxy::FaultProxy;
use super::tansu::free_port;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::collections::HashMap;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake};
use std::time::{Duration, Instant};

/// The pinned Kafka versions (keep in step with `scripts/kafka.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The newest 4.x.
    V4,
    /// The last 3.9.x.
    V3_9,
}

impl Version {
    /// The Maven version.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V4 => "4.4.0",
            Version::V3_9 => "3.9.2",
        }
    }
}

/// Where the jars of `version` are, fetching them with `scripts/kafka.sh`
/// when they are not cached yet.
pub fn jars(version: Version) -> Result<PathBuf, String> {
    let v = version.as_str();
    let cache = std::env::var_os("KSYNC_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ksync")))
        .ok_or("neither KSYNC_CACHE nor HOME is set")?;
    let dir = cache.join("kafka").join(v);
    if dir.join(".complete").exists() {
        return Ok(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(["jars", v])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() || !dir.join(".complete").exists() {
        return Err(format!(
            "scripts/kafka.sh jars {v} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(dir)
}

/// Polls a future to completion on this thread (rdkafka's admin futures are
/// completed by librdkafka's own threads).
pub fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// A topic name no other test of this process uses.
pub fn unique_topic(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The ports of a node.
struct Ports {
    /// The PLAINTEXT listener tests connect to directly.
    port: u16,
    /// The PROXIED listener, reached through `proxy`.
    proxied_port: u16,
    internal_port: u16,
    controller_port: u16,
    proxy: FaultProxy,
}

/// A KRaft cluster of real Kafka brokers on loopback.
pub struct KafkaCluster {
    /// The Kafka version.
    pub version: Version,
    nodes: Nodes<Ports>,
    /// Direct bootstrap list (`127.0.0.1:P1,...`).
    pub bootstrap: String,
    /// Bootstrap through the fault proxies (every advertised address there
    /// is a proxy's).
    pub proxied_bootstrap: String,
    admin: AdminClient<DefaultClientContext>,
    meta: BaseConsumer,
}

impl KafkaCluster {
    /// The 3-node cluster of `version` that this test binary shares, started
    /// on first use; `None` (after a `SKIPPED` line) when Kafka cannot be set
    /// up outside CI. Panics in CI when it cannot.
    pub fn shared(version: Version) -> Option<&'static KafkaCluster> {
        static CLUSTERS: OnceLock<Mutex<HashMap<Version, Option<&'static KafkaCluster>>>> =
            OnceLock::new();
        let map = CLUSTERS.get_or_init(Default::default);
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&version) {
            if c.is_none() {
                eprintln!("SKIPPED: Kafka {} is not available", version.as_str());
            }
            return *c;
        }
        let what = format!("Kafka {}", version.as_str());
        let c = leak_or_skip(&what, Self::start(version, 3));
        map.insert(version, c);
        c
    }

    /// Starts a cluster of `nodes` nodes (1 or 3) and waits until every
    /// broker is registered.
    pub fn start(version: Version, nodes: usize) -> Result<KafkaCluster, String> {
        let jars = jars_and_java(version)?;
        let dir = std::env::temp_dir().join(format!(
            "ksync-kafka-{}-{}",
            std::process::id(),
            version.as_str()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let ns: Vec<Node<Ports>> = (1..=nodes as i32)
            .map(|id| {
                let proxied_port = free_port();
                let ports = Ports {
                    port: free_port(),
                    proxied_port,
                    internal_port: free_port(),
                    controller_port: free_port(),
                    proxy: FaultProxy::start(proxied_port),
                };
                Node::new(id, ports)
            })
            .collect();
        let voters = quorum_voters(ns.iter().map(|n| (n.id, n.ports.controller_port)));
        let common = server_common()?;
        let cluster_id = random_cluster_id();
        for Node { id, ports: n, .. } in &ns {
            let nd = dir.join(format!("node{id}"));
            std::fs::create_dir_all(&nd).map_err(|e| e.to_string())?;
            let props = format!(
                "{common}\nnode.id={id}\ncontroller.quorum.voters={voters}\n\
                 listeners=PLAINTEXT://127.0.0.1:{p},PROXIED://127.0.0.1:{pp},INTERNAL://127.0.0.1:{ip},CONTROLLER://127.0.0.1:{cp}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{p},PROXIED://127.0.0.1:{proxy},INTERNAL://127.0.0.1:{ip}\n\
                 listener.security.protocol.map=PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
                 inter.broker.listener.name=INTERNAL\n{replication}",
                p = n.port,
                pp = n.proxied_port,
                ip = n.internal_port,
                cp = n.controller_port,
                proxy = n.proxy.port,
                replication = replication_properties(nodes, &nd.join("data")),
            );
            // server-common.properties names PLAINTEXT as the inter-broker
            // listener; the last value of a key wins.
            std::fs::write(nd.join("server.properties"), props).map_err(|e| e.to_string())?;
        }
        let bootstrap = loopback_list(ns.iter().map(|n| n.ports.port));
        let proxied_bootstrap = loopback_list(ns.iter().map(|n| n.ports.proxy.port));
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka");
        let log_args = vec![
            format!(
                "-Dlog4j2.configurationFile={}",
                conf.join("log4j2.properties").display()
            ),
            format!(
                "-Dlog4j.configuration=file:{}",
                conf.join("log4j.properties").display()
            ),
        ];
        let ns = Nodes::new("node", &dir, &jars, log_args, ns);
        // Format the three data dirs in parallel (a JVM start each).
        ns.format(&cluster_id, &["-Xmx256m"], &[])?;
        for id in ns.ids() {
            ns.launch(id)?;
        }
        let (admin, meta) = admin_clients(&bootstrap)?;
        let cluster = KafkaCluster {
            version,
            nodes: ns,
            bootstrap,
            proxied_bootstrap,
            admin,
            meta,
        };
        let t0 = Instant::now();
        let ids: Vec<i32> = (1..=nodes as i32).collect();
        cluster.nodes.wait_up(&cluster.meta, &ids)?;
        eprintln!(
            "Kafka {} cluster of {nodes} nodes up in {:.1} s (after the brokers were launched): {} (logs in {})",
            version.as_str(),
            t0.elapsed().as_secs_f64(),
            cluster.bootstrap,
            cluster.nodes.dir().display()
        );
        Ok(cluster)
    }

    /// The cluster's jar directory (for the Java tools).
    pub fn jars(&self) -> &Path {
        self.nodes.jars()
    }

    /// Node `id`'s data directory (`log.dirs`).
    pub fn data_dir(&self, id: i32) -> PathBuf {
        self.nodes.node_dir(id).join("data")
    }

    /// Node ids.
    pub fn node_ids(&self) -> Vec<i32> {
        self.nodes.ids()
    }

    /// `127.0.0.1:PORT` of node `id`'s direct listener.
    pub fn address(&self, id: i32) -> String {
        self.nodes
            .with(id, |n| format!("127.0.0.1:{}", n.ports.port))
    }

    /// Runs `f` on node `id`'s fault proxy.
    pub fn with_proxy<T>(&self, id: i32, f: impl FnOnce(&FaultProxy) -> T) -> T {
        self.nodes.with(id, |n| f(&n.ports.proxy))
    }

    /// Cuts every client connection through every proxy.
    pub fn cut_proxied_connections(&self) {
        for n in self.nodes.lock().iter() {
            n.ports.proxy.close_all();
        }
    }

    /// Creates a topic (replication factor = min(nodes, 3)) and waits until
    /// every partition has a leader and a full ISR.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let rf = self.nodes.len().min(3) as i32;
        create_topic(&self.admin, &self.meta, "kafka", name, partitions, rf);
    }

    /// Creates a topic with one replica per partition
    /// (`min.insync.replicas=1`: acks=all needs the leader only) and waits
    /// until every partition has a leader. A partition then stalls with its
    /// one broker and nothing else does.
    pub fn create_unreplicated_topic(&self, name: &str, partitions: i32) {
        let configs = [("min.insync.replicas", "1")];
        create_topic_with(
            &self.admin,
            &self.meta,
            "kafka",
            name,
            partitions,
            1,
            &configs,
        );
    }

    /// Grows `topic` to `total` partitions and waits until each has a leader.
    pub fn add_partitions(&self, topic: &str, total: i32) {
        use rdkafka::admin::{AdminOptions, NewPartitions};
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let grow = NewPartitions::new(topic, total as usize);
        match block_on(self.admin.create_partitions([&grow], &opts)) {
            Ok(res) => {
                for r in res {
                    r.unwrap_or_else(|(t, e)| panic!("create partitions of {t}: {e}"));
                }
            }
            Err(e) => panic!("CreatePartitions: {e}"),
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.partitions(topic) {
                Ok(ps) if ps.len() == total as usize && ps.iter().all(|p| p.leader >= 0) => return,
                r => assert!(Instant::now() < deadline, "{topic} not grown: {r:?}"),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates a fresh topic named after `prefix` and returns its name.
    pub fn new_topic(&self, prefix: &str, partitions: i32) -> String {
        let name = unique_topic(prefix);
        self.create_topic(&name, partitions);
        name
    }

    /// The partitions of `topic` as the cluster reports them now.
    pub fn partitions(&self, topic: &str) -> Result<Vec<PartitionState>, String> {
        partitions(&self.meta, topic)
    }

    /// The leader of `topic`'s `partition` (waits up to 30 s for one).
    pub fn leader_of(&self, topic: &str, partition: i32) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(ps) = self.partitions(topic) {
                if let Some(p) = ps.iter().find(|p| p.id == partition && p.leader >= 0) {
                    return p.leader;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no leader for {topic}[{partition}]"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The transaction coordinator of `transactional_id` (FindCoordinator
    /// with key type 1, asked of any live broker).
    pub fn transaction_coordinator(&self, transactional_id: &str) -> i32 {
        use kafka_sync::protocol::messages::find_coordinator::FindCoordinatorRequest;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let live = self.live_nodes();
            let addr = self.address(*live.first().expect("a live node"));
            let mut conn = super::raw::RawConn::connect(&addr);
            let v = conn.version_of::<FindCoordinatorRequest>();
            // v4+ names keys in a list; before, one key.
            let (key, coordinator_keys) = if v >= 4 {
                (String::new(), vec![transactional_id.to_string()])
            } else {
                (transactional_id.to_string(), Vec::new())
            };
            let req = FindCoordinatorRequest {
                key,
                key_type: 1,
                coordinator_keys,
            };
            let resp = conn.call(&req, v);
            let (code, node) = match resp.coordinators.first() {
                Some(c) if v >= 4 => (c.error_code, c.node_id),
                _ => (resp.error_code, resp.node_id),
            };
            if code == 0 {
                return node;
            }
            assert!(
                Instant::now() < deadline,
                "FindCoordinator({transactional_id}): error {code}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Nodes whose process runs and is not paused.
    pub fn live_nodes(&self) -> Vec<i32> {
        self.nodes
            .lock()
            .iter()
            .filter(|n| n.running() && !n.paused)
            .map(|n| n.id)
            .collect()
    }

    fn signal(&self, id: i32, sig: i32) -> i32 {
        self.nodes.signal(id, sig)
    }

    /// SIGKILLs node `id` (a crash) and reaps it.
    pub fn kill(&self, id: i32) {
        assert!(self.nodes.kill(id), "node is running");
        eprintln!("kafka: node {id} killed (SIGKILL)");
    }

    /// SIGTERMs node `id` (controlled shutdown: its leaderships move first)
    /// and waits for it to exit (SIGKILL after `timeout`).
    pub fn shutdown(&self, id: i32, timeout: Duration) {
        let t0 = Instant::now();
        self.signal(id, libc::SIGTERM);
        // The nodes stay locked until it is gone.
        self.nodes.with(id, |n| {
            let mut c = n.take_child().unwrap();
            loop {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                if t0.elapsed() > timeout {
                    let _ = c.kill();
                    let _ = c.wait();
                    eprintln!("kafka: node {id} did not stop in {timeout:?}: killed");
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!(
                "kafka: node {id} shut down (SIGTERM) in {:.1} s",
                t0.elapsed().as_secs_f64()
            );
        })
    }

    /// SIGSTOPs node `id`: it holds its connections but answers nothing.
    pub fn pause(&self, id: i32) {
        self.signal(id, libc::SIGSTOP);
        self.nodes.with(id, |n| n.paused = true);
        eprintln!("kafka: node {id} paused (SIGSTOP)");
    }

    /// SIGCONTs a paused node.
    pub fn resume(&self, id: i32) {
        self.signal(id, libc::SIGCONT);
        self.nodes.with(id, |n| n.paused = false);
        eprintln!("kafka: node {id} resumed (SIGCONT)");
    }

    /// Starts a stopped node again on its ports and data dir, and waits
    /// until it is registered with the controller again.
    pub fn restart(&self, id: i32) {
        assert!(
            !self.nodes.with(id, |n| n.running()),
            "node {id} is running"
        );
        let up = self.nodes.relaunch(&self.meta, &[id]);
        eprintln!(
            "kafka: node {id} restarted, up after {:.1} s",
            up.as_secs_f64()
        );
    }

    /// Waits until every partition of every topic has a leader and all its
    /// replicas in sync (after a restart).
    pub fn wait_fully_replicated(&self, timeout: Duration) {
        let t0 = Instant::now();
        loop {
            let last = match self.meta.fetch_metadata(None, Duration::from_secs(5)) {
                Ok(md) => {
                    let behind: Vec<String> = md
                        .topics()
                        .iter()
                        .flat_map(|t| {
                            t.partitions()
                                .iter()
                                .filter(|p| p.leader() < 0 || p.isr().len() < p.replicas().len())
                                .map(move |p| format!("{}[{}] isr {:?}", t.name(), p.id(), p.isr()))
                        })
                        .collect();
                    if behind.is_empty() && md.brokers().len() == self.node_ids().len() {
                        eprintln!(
                            "kafka: fully replicated after {:.1} s",
                            t0.elapsed().as_secs_f64()
                        );
                        return;
                    }
                    format!("{} brokers; behind: {behind:?}", md.brokers().len())
                }
                Err(e) => e.to_string(),
            };
            if t0.elapsed() > timeout {
                panic!(
                    "cluster not fully replicated after {timeout:?}: {last}\n{}",
                    self.log_tails(30)
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The last `lines` lines of every node's log.
    pub fn log_tails(&self, lines: usize) -> String {
        self.nodes.log_tails(lines)
    }

    /// A guard that prints the tails of the broker logs if the test panics.
    pub fn logs_on_panic(&self) -> LogsOnPanic<'_> {
        self.nodes.logs_on_panic("broker logs")
    }
}

/// [`jars`] of `version`, after checking that there is a `java` to run
/// them.
pub(crate) fn jars_and_java(version: Version) -> Result<PathBuf, String> {
    let jars = jars(version)?;
    let java = Command::new("java").arg("-version").output();
    if !java.is_ok_and(|o| o.status.success()) {
        return Err("java not found (install a JDK 17+)".into());
    }
    Ok(jars)
}

/// A random KRaft cluster id: 16 bytes, URL-safe base64 without padding.
pub(crate) fn random_cluster_id() -> String {
    let mut bytes = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = String::new();
    for b in bytes {
        bits = (bits << 8) | b as u32;
        n += 8;
        while n >= 6 {
            n -= 6;
            out.push(A[((bits >> n) & 63) as usize] as char);
        }
    }
    if n > 0 {
        out.push(A[((bits << (6 - n)) & 63) as usize] as char);
    }
    // An id starting with '-' reads as an option to kafka-storage's
    // argument parser ("--cluster-id: expected one argument"); Kafka's own
    // Uuid.randomUuid never makes one, so neither do we.
    if out.starts_with('-') {
        out.replace_range(0..1, "A");
    }
    out
}
