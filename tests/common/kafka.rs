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

use super::proxy::FaultProxy;
use super::tansu::{free_port, in_ci};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
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

/// Spawns `cmd` so that the child gets SIGKILL when this process ends:
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked exits, so every
/// spawn happens on one thread that lives as long as the process.
pub(crate) fn spawn_tied(cmd: Command) -> std::io::Result<Child> {
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("kafka-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    use std::os::unix::process::CommandExt;
                    // SAFETY: prctl is async-signal-safe; nothing else runs
                    // between fork and exec.
                    unsafe {
                        cmd.pre_exec(|| {
                            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawner thread");
        Mutex::new(tx)
    });
    let (reply, rx) = mpsc::channel();
    tx.lock()
        .unwrap()
        .send((cmd, reply))
        .expect("spawner alive");
    rx.recv().expect("spawner answered")
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

struct Node {
    id: i32,
    /// The PLAINTEXT listener tests connect to directly.
    port: u16,
    /// The PROXIED listener, reached through `proxy`.
    proxied_port: u16,
    internal_port: u16,
    controller_port: u16,
    proxy: FaultProxy,
    child: Option<Child>,
    paused: bool,
    starts: usize,
    /// Length of the node's log when it was last launched.
    log_offset: u64,
}

/// A KRaft cluster of real Kafka brokers on loopback.
pub struct KafkaCluster {
    /// The Kafka version.
    pub version: Version,
    jars: PathBuf,
    dir: PathBuf,
    nodes: Mutex<Vec<Node>>,
    /// Direct bootstrap list (`127.0.0.1:P1,...`).
    pub bootstrap: String,
    /// Bootstrap through the fault proxies (every advertised address there
    /// is a proxy's).
    pub proxied_bootstrap: String,
    admin: AdminClient<DefaultClientContext>,
    meta: BaseConsumer,
}

/// The metadata of one partition.
#[derive(Debug, Clone)]
pub struct PartitionState {
    /// Partition id.
    pub id: i32,
    /// Leader node, -1 when none.
    pub leader: i32,
    /// Replicas.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
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
        let c = match Self::start(version, 3) {
            Ok(c) => Some(&*Box::leak(Box::new(c))),
            Err(e) => {
                assert!(
                    !in_ci(),
                    "Kafka {} is required in CI: {e}",
                    version.as_str()
                );
                eprintln!(
                    "SKIPPED: Kafka {} is not available ({e}); run scripts/test.sh",
                    version.as_str()
                );
                None
            }
        };
        map.insert(version, c);
        c
    }

    /// Starts a cluster of `nodes` nodes (1 or 3) and waits until every
    /// broker is registered.
    pub fn start(version: Version, nodes: usize) -> Result<KafkaCluster, String> {
        let jars = jars(version)?;
        let java = Command::new("java").arg("-version").output();
        if !java.is_ok_and(|o| o.status.success()) {
            return Err("java not found (install a JDK 17+)".into());
        }
        let dir = std::env::temp_dir().join(format!(
            "ksync-kafka-{}-{}",
            std::process::id(),
            version.as_str()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut ns: Vec<Node> = (1..=nodes as i32)
            .map(|id| {
                let proxied_port = free_port();
                Node {
                    id,
                    port: free_port(),
                    proxied_port,
                    internal_port: free_port(),
                    controller_port: free_port(),
                    proxy: FaultProxy::start(proxied_port),
                    child: None,
                    paused: false,
                    starts: 0,
                    log_offset: 0,
                }
            })
            .collect();
        let voters: Vec<String> = ns
            .iter()
            .map(|n| format!("{}@127.0.0.1:{}", n.id, n.controller_port))
            .collect();
        let common = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/server-common.properties"),
        )
        .map_err(|e| e.to_string())?;
        let rf = nodes.min(3);
        let isr = if rf < 2 { 1 } else { 2 };
        let cluster_id = random_cluster_id();
        for n in &ns {
            let nd = dir.join(format!("node{}", n.id));
            std::fs::create_dir_all(&nd).map_err(|e| e.to_string())?;
            let props = format!(
                "{common}\nnode.id={id}\ncontroller.quorum.voters={voters}\n\
                 listeners=PLAINTEXT://127.0.0.1:{p},PROXIED://127.0.0.1:{pp},INTERNAL://127.0.0.1:{ip},CONTROLLER://127.0.0.1:{cp}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{p},PROXIED://127.0.0.1:{proxy},INTERNAL://127.0.0.1:{ip}\n\
                 listener.security.protocol.map=PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
                 inter.broker.listener.name=INTERNAL\n\
                 log.dirs={data}\ndefault.replication.factor={rf}\nmin.insync.replicas={isr}\n\
                 offsets.topic.replication.factor={rf}\ntransaction.state.log.replication.factor={rf}\n\
                 transaction.state.log.min.isr={isr}\n",
                id = n.id,
                voters = voters.join(","),
                p = n.port,
                pp = n.proxied_port,
                ip = n.internal_port,
                cp = n.controller_port,
                proxy = n.proxy.port,
                data = nd.join("data").display(),
            );
            // server-common.properties names PLAINTEXT as the inter-broker
            // listener; the last value of a key wins.
            std::fs::write(nd.join("server.properties"), props).map_err(|e| e.to_string())?;
        }
        // Format the three data dirs in parallel (a JVM start each).
        let formats: Vec<_> = ns
            .iter()
            .map(|n| {
                let nd = dir.join(format!("node{}", n.id));
                let log = std::fs::File::create(nd.join("format.log")).unwrap();
                Command::new("java")
                    .args(["-Xmx256m", "-cp"])
                    .arg(format!("{}/*", jars.display()))
                    .args(["kafka.tools.StorageTool", "format", "-t", &cluster_id, "-c"])
                    .arg(nd.join("server.properties"))
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .spawn()
                    .map_err(|e| format!("cannot run java: {e}"))
            })
            .collect::<Result<_, _>>()?;
        for (mut f, n) in formats.into_iter().zip(&ns) {
            let st = f.wait().map_err(|e| e.to_string())?;
            if !st.success() {
                let log = std::fs::read_to_string(dir.join(format!("node{}/format.log", n.id)))
                    .unwrap_or_default();
                return Err(format!("format of node {} failed: {log}", n.id));
            }
        }
        let bootstrap = ns
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",");
        let proxied_bootstrap = ns
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.proxy.port))
            .collect::<Vec<_>>()
            .join(",");
        for n in &mut ns {
            launch(&jars, &dir, version, n)?;
        }
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .map_err(|e| e.to_string())?;
        let meta: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("topic.metadata.refresh.interval.ms", "1000")
            .create()
            .map_err(|e| e.to_string())?;
        let cluster = KafkaCluster {
            version,
            jars,
            dir,
            nodes: Mutex::new(ns),
            bootstrap,
            proxied_bootstrap,
            admin,
            meta,
        };
        let t0 = Instant::now();
        let ids: Vec<i32> = (1..=nodes as i32).collect();
        let up = ids
            .iter()
            .try_for_each(|id| cluster.wait_started(*id, Duration::from_secs(120)))
            .and_then(|()| cluster.wait_brokers(&ids, Duration::from_secs(60)));
        if let Err(e) = up {
            return Err(format!("{e}\n{}", cluster.log_tails(40)));
        }
        eprintln!(
            "Kafka {} cluster of {nodes} nodes up in {:.1} s (after the brokers were launched): {} (logs in {})",
            version.as_str(),
            t0.elapsed().as_secs_f64(),
            cluster.bootstrap,
            cluster.dir.display()
        );
        Ok(cluster)
    }

    /// The cluster's jar directory (for the Java tools).
    pub fn jars(&self) -> &Path {
        &self.jars
    }

    /// Node `id`'s data directory (`log.dirs`).
    pub fn data_dir(&self, id: i32) -> PathBuf {
        self.dir.join(format!("node{id}/data"))
    }

    /// Node ids.
    pub fn node_ids(&self) -> Vec<i32> {
        self.nodes.lock().unwrap().iter().map(|n| n.id).collect()
    }

    /// `127.0.0.1:PORT` of node `id`'s direct listener.
    pub fn address(&self, id: i32) -> String {
        let nodes = self.nodes.lock().unwrap();
        let n = nodes.iter().find(|n| n.id == id).expect("node id");
        format!("127.0.0.1:{}", n.port)
    }

    /// Runs `f` on node `id`'s fault proxy.
    pub fn with_proxy<T>(&self, id: i32, f: impl FnOnce(&FaultProxy) -> T) -> T {
        let nodes = self.nodes.lock().unwrap();
        f(&nodes.iter().find(|n| n.id == id).expect("node id").proxy)
    }

    /// Cuts every client connection through every proxy.
    pub fn cut_proxied_connections(&self) {
        for n in self.nodes.lock().unwrap().iter() {
            n.proxy.close_all();
        }
    }

    /// Creates a topic (replication factor = min(nodes, 3)) and waits until
    /// every partition has a leader and a full ISR.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let rf = self.nodes.lock().unwrap().len().min(3) as i32;
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(rf));
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        // librdkafka may drop its first connections just after start-up
        // (a transient client error): try again a few times.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let outcome = match block_on(self.admin.create_topics([&topic], &opts)) {
                Ok(res) => match res.into_iter().next() {
                    Some(Err((t, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists))) => {
                        eprintln!("kafka: topic {t} exists (an earlier attempt made it)");
                        Ok(())
                    }
                    Some(Err((t, e))) => Err(format!("create topic {t}: {e}")),
                    _ => Ok(()),
                },
                Err(e) => Err(format!("CreateTopics: {e}")),
            };
            match outcome {
                Ok(()) => break,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("kafka: {e}; trying again");
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("{e}"),
            }
        }
        loop {
            match self.partitions(name) {
                Ok(ps)
                    if ps.len() == partitions as usize
                        && ps
                            .iter()
                            .all(|p| p.leader >= 0 && p.isr.len() == p.replicas.len()) =>
                {
                    return
                }
                r => assert!(Instant::now() < deadline, "topic {name} not ready: {r:?}"),
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
        let md = self
            .meta
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        let t = md.topics().first().ok_or("no topic in metadata")?;
        if let Some(e) = t.error() {
            return Err(format!("{e:?}"));
        }
        let mut ps: Vec<PartitionState> = t
            .partitions()
            .iter()
            .map(|p| PartitionState {
                id: p.id(),
                leader: p.leader(),
                replicas: p.replicas().to_vec(),
                isr: p.isr().to_vec(),
            })
            .collect();
        ps.sort_by_key(|p| p.id);
        Ok(ps)
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
            .unwrap()
            .iter()
            .filter(|n| n.child.is_some() && !n.paused)
            .map(|n| n.id)
            .collect()
    }

    fn signal(&self, id: i32, sig: i32) -> i32 {
        let nodes = self.nodes.lock().unwrap();
        let n = nodes.iter().find(|n| n.id == id).expect("node id");
        let pid = n.child.as_ref().expect("node is running").id() as i32;
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid, sig) };
        pid
    }

    /// SIGKILLs node `id` (a crash) and reaps it.
    pub fn kill(&self, id: i32) {
        self.signal(id, libc::SIGKILL);
        let mut nodes = self.nodes.lock().unwrap();
        let n = nodes.iter_mut().find(|n| n.id == id).unwrap();
        if let Some(mut c) = n.child.take() {
            let _ = c.wait();
        }
        n.paused = false;
        eprintln!("kafka: node {id} killed (SIGKILL)");
    }

    /// SIGTERMs node `id` (controlled shutdown: its leaderships move first)
    /// and waits for it to exit (SIGKILL after `timeout`).
    pub fn shutdown(&self, id: i32, timeout: Duration) {
        let t0 = Instant::now();
        self.signal(id, libc::SIGTERM);
        let mut nodes = self.nodes.lock().unwrap();
        let n = nodes.iter_mut().find(|n| n.id == id).unwrap();
        let mut c = n.child.take().unwrap();
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
    }

    /// SIGSTOPs node `id`: it holds its connections but answers nothing.
    pub fn pause(&self, id: i32) {
        self.signal(id, libc::SIGSTOP);
        let mut nodes = self.nodes.lock().unwrap();
        nodes.iter_mut().find(|n| n.id == id).unwrap().paused = true;
        eprintln!("kafka: node {id} paused (SIGSTOP)");
    }

    /// SIGCONTs a paused node.
    pub fn resume(&self, id: i32) {
        self.signal(id, libc::SIGCONT);
        let mut nodes = self.nodes.lock().unwrap();
        nodes.iter_mut().find(|n| n.id == id).unwrap().paused = false;
        eprintln!("kafka: node {id} resumed (SIGCONT)");
    }

    /// Starts a stopped node again on its ports and data dir, and waits
    /// until it is registered with the controller again.
    pub fn restart(&self, id: i32) {
        {
            let mut nodes = self.nodes.lock().unwrap();
            let n = nodes.iter_mut().find(|n| n.id == id).unwrap();
            assert!(n.child.is_none(), "node {id} is running");
            launch(&self.jars, &self.dir, self.version, n).expect("restart node");
        }
        let t0 = Instant::now();
        self.wait_started(id, Duration::from_secs(120))
            .and_then(|()| self.wait_brokers(&[id], Duration::from_secs(60)))
            .unwrap_or_else(|e| panic!("{e}\n{}", self.log_tails(40)));
        eprintln!(
            "kafka: node {id} restarted, up after {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }

    /// Waits until node `id` logged that it started (after its last launch:
    /// the broker is then unfenced and serving).
    fn wait_started(&self, id: i32, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let (path, offset) = {
            let nodes = self.nodes.lock().unwrap();
            let n = nodes.iter().find(|n| n.id == id).expect("node id");
            (self.dir.join(format!("node{id}/kafka.log")), n.log_offset)
        };
        loop {
            let mut text = String::new();
            if let Ok(mut f) = std::fs::File::open(&path) {
                let _ = f.seek(SeekFrom::Start(offset));
                let mut buf = Vec::new();
                let _ = f.read_to_end(&mut buf);
                text = String::from_utf8_lossy(&buf).into_owned();
            }
            if text.contains("Kafka Server started") {
                return Ok(());
            }
            {
                let mut nodes = self.nodes.lock().unwrap();
                let n = nodes.iter_mut().find(|n| n.id == id).unwrap();
                if let Some(c) = n.child.as_mut() {
                    if let Ok(Some(st)) = c.try_wait() {
                        n.child = None;
                        return Err(format!("node {id} exited: {st}"));
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!("node {id} did not start in {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every broker in `ids` appears in the metadata.
    fn wait_brokers(&self, ids: &[i32], timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.meta.fetch_metadata(None, Duration::from_secs(5)) {
                Ok(md) => {
                    let seen: Vec<i32> = md.brokers().iter().map(|b| b.id()).collect();
                    if ids.iter().all(|i| seen.contains(i)) {
                        return Ok(());
                    }
                    format!("brokers in metadata: {seen:?}")
                }
                Err(e) => e.to_string(),
            };
            {
                let mut nodes = self.nodes.lock().unwrap();
                for n in nodes.iter_mut().filter(|n| ids.contains(&n.id)) {
                    if let Some(c) = n.child.as_mut() {
                        if let Ok(Some(st)) = c.try_wait() {
                            n.child = None;
                            return Err(format!("node {} exited: {st}", n.id));
                        }
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!("brokers {ids:?} not up in {timeout:?}: {last}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
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
        let mut s = String::new();
        for id in self.node_ids() {
            let path = self.dir.join(format!("node{id}/kafka.log"));
            s += &format!("--- {} (last {lines} lines)\n", path.display());
            s += &tail(&path, lines);
        }
        s
    }

    /// A guard that prints the tails of the broker logs if the test panics.
    pub fn logs_on_panic(&self) -> LogsOnPanic<'_> {
        LogsOnPanic(self)
    }
}

/// See [`KafkaCluster::logs_on_panic`].
pub struct LogsOnPanic<'a>(&'a KafkaCluster);

impl Drop for LogsOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("broker logs:\n{}", self.0.log_tails(60));
        }
    }
}

pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut f) = std::fs::File::open(path) else {
        return "(no log)\n".into();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(200 * lines as u64)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    let mut out = all[all.len().saturating_sub(lines)..].join("\n");
    out.push('\n');
    out
}

/// The broker JVM's options: `KSYNC_KAFKA_JVM_OPTS`, or a small heap, the
/// serial GC and C1 only.
pub(crate) fn broker_jvm_opts() -> String {
    std::env::var("KSYNC_KAFKA_JVM_OPTS").unwrap_or_else(|_| {
        "-Xms256m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1".to_string()
    })
}

/// Starts node `n`'s JVM; output (appended) in `node<ID>/kafka.log`.
fn launch(jars: &Path, dir: &Path, version: Version, n: &mut Node) -> Result<(), String> {
    let nd = dir.join(format!("node{}", n.id));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(nd.join("kafka.log"))
        .map_err(|e| e.to_string())?;
    n.log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka");
    let jvm = broker_jvm_opts();
    let mut cmd = Command::new("java");
    cmd.args(jvm.split_whitespace())
        .arg("-Djava.awt.headless=true")
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            conf.join("log4j2.properties").display()
        ))
        .arg(format!(
            "-Dlog4j.configuration=file:{}",
            conf.join("log4j.properties").display()
        ))
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .arg("kafka.Kafka")
        .arg(nd.join("server.properties"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    let child = spawn_tied(cmd).map_err(|e| format!("cannot start java: {e}"))?;
    n.child = Some(child);
    n.paused = false;
    n.starts += 1;
    let _ = version;
    Ok(())
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
    out
}
