//! The broker processes of a KRaft cluster on loopback, shared by the two
//! launchers ([`super::kafka::KafkaCluster`] and
//! [`super::secure::SecureKafka`]): every node lives in `DIR/nodeN/`
//! (`server.properties`, `data/`, `format.log`, `kafka.log`) and runs
//! `kafka.Kafka` in a JVM of its own, spawned with [`spawn_tied`].
//!
//! [`Nodes`] formats the storage, launches a node (its output appended to
//! its `kafka.log`), waits until it logged `Kafka Server started` and until
//! the brokers are in the metadata, kills it and prints log tails. The
//! launchers keep their own listener ports in [`Node::ports`].
#![allow(dead_code)]

use super::kafka::block_on;
use super::tansu::in_ci;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a launched node may take to log that it started.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the started brokers may take to appear in the metadata.
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(60);

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

/// The broker JVM's options: `KSYNC_KAFKA_JVM_OPTS`, or a small heap, the
/// serial GC and C1 only.
pub(crate) fn broker_jvm_opts() -> String {
    std::env::var("KSYNC_KAFKA_JVM_OPTS").unwrap_or_else(|_| {
        "-Xms256m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1".to_string()
    })
}

/// The last `lines` lines of the file at `path` (`(no log)` without one).
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

/// The file at `path` from byte `offset` on (empty without one).
pub(crate) fn read_from(path: &Path, offset: u64) -> String {
    let mut buf = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.seek(SeekFrom::Start(offset));
        let _ = f.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A shared harness from `started`, leaked to live as long as the
/// process; when it could not start, `None` after a `SKIPPED` line naming
/// `what` (`Kafka 4.4.0`), or a panic in CI.
pub(crate) fn leak_or_skip<T>(what: &str, started: Result<T, String>) -> Option<&'static T> {
    match started {
        Ok(k) => Some(&*Box::leak(Box::new(k))),
        Err(e) => {
            assert!(!in_ci(), "{what} is required in CI: {e}");
            eprintln!("SKIPPED: {what} is not available ({e}); run scripts/test.sh");
            None
        }
    }
}

/// `127.0.0.1:P1,127.0.0.1:P2,...` (a bootstrap list).
pub(crate) fn loopback_list(ports: impl Iterator<Item = u16>) -> String {
    ports
        .map(|p| format!("127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `controller.quorum.voters` for the nodes `(id, controller port)`.
pub(crate) fn quorum_voters(nodes: impl Iterator<Item = (i32, u16)>) -> String {
    nodes
        .map(|(id, port)| format!("{id}@127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `tests/kafka/server-common.properties`, the start of every node's
/// `server.properties`.
pub(crate) fn server_common() -> Result<String, String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/server-common.properties"),
    )
    .map_err(|e| e.to_string())
}

/// The storage and replication lines of a node's `server.properties` in a
/// cluster of `nodes` nodes: data in `data`, replication factor
/// min(nodes, 3), min ISR 2 (1 below two nodes).
pub(crate) fn replication_properties(nodes: usize, data: &Path) -> String {
    let rf = nodes.min(3);
    let isr = if rf < 2 { 1 } else { 2 };
    format!(
        "log.dirs={data}\ndefault.replication.factor={rf}\nmin.insync.replicas={isr}\n\
         offsets.topic.replication.factor={rf}\ntransaction.state.log.replication.factor={rf}\n\
         transaction.state.log.min.isr={isr}\n",
        data = data.display()
    )
}

/// The admin client and the metadata reader (metadata refreshed every
/// second) of a harness, on `bootstrap`.
pub(crate) fn admin_clients(
    bootstrap: &str,
) -> Result<(AdminClient<DefaultClientContext>, BaseConsumer), String> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| e.to_string())?;
    let meta: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("topic.metadata.refresh.interval.ms", "1000")
        .create()
        .map_err(|e| e.to_string())?;
    Ok((admin, meta))
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

/// The partitions of `topic` as `meta` fetches them now, by id.
pub(crate) fn partitions(meta: &BaseConsumer, topic: &str) -> Result<Vec<PartitionState>, String> {
    let md = meta
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

/// Creates topic `name` with `admin` (replication factor `rf`), trying
/// again for up to 60 s, and waits until `meta` shows every partition with a
/// leader and a full ISR; `tag` starts its progress lines.
pub(crate) fn create_topic(
    admin: &AdminClient<DefaultClientContext>,
    meta: &BaseConsumer,
    tag: &str,
    name: &str,
    partitions: i32,
    rf: i32,
) {
    create_topic_with(admin, meta, tag, name, partitions, rf, &[]);
}

/// [`create_topic`] with topic configs (`name=value` pairs).
pub(crate) fn create_topic_with(
    admin: &AdminClient<DefaultClientContext>,
    meta: &BaseConsumer,
    tag: &str,
    name: &str,
    partitions: i32,
    rf: i32,
    configs: &[(&str, &str)],
) {
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(rf));
    for (k, v) in configs {
        topic = topic.set(k, v);
    }
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    // librdkafka may drop its first connections just after start-up
    // (a transient client error): try again a few times.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let outcome = match block_on(admin.create_topics([&topic], &opts)) {
            Ok(res) => match res.into_iter().next() {
                Some(Err((t, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists))) => {
                    eprintln!("{tag}: topic {t} exists (an earlier attempt made it)");
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
                eprintln!("{tag}: {e}; trying again");
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("{e}"),
        }
    }
    loop {
        match self::partitions(meta, name) {
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

/// One node of a cluster: its process and the launcher's `ports`.
pub struct Node<P> {
    /// `node.id`.
    pub id: i32,
    /// The launcher's listener ports (and whatever else it keeps per node).
    pub ports: P,
    child: Option<Child>,
    /// SIGSTOPped.
    pub paused: bool,
    /// How many times it was launched.
    pub starts: usize,
    /// Length of the node's log when it was last launched.
    log_offset: u64,
}

impl<P> Node<P> {
    /// A node that does not run yet.
    pub fn new(id: i32, ports: P) -> Node<P> {
        Node {
            id,
            ports,
            child: None,
            paused: false,
            starts: 0,
            log_offset: 0,
        }
    }

    /// Whether its process runs (paused or not).
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// The pid of its process; panics when it does not run.
    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("node is running").id() as i32
    }

    /// Takes its process (it no longer counts as running).
    pub fn take_child(&mut self) -> Option<Child> {
        self.child.take()
    }

    /// SIGKILLs its process (if it runs) and reaps it; whether it ran.
    pub fn kill_now(&mut self) -> bool {
        self.paused = false;
        match self.child.take() {
            Some(mut c) => {
                let _ = c.kill();
                let _ = c.wait();
                true
            }
            None => false,
        }
    }

    /// `Err` (and no longer running) when its process has exited.
    fn check_exited(&mut self, label: &str) -> Result<(), String> {
        if let Some(c) = self.child.as_mut() {
            if let Ok(Some(st)) = c.try_wait() {
                self.child = None;
                return Err(format!("{label} {} exited: {st}", self.id));
            }
        }
        Ok(())
    }
}

/// The nodes of a cluster in `DIR/nodeN/`, run from the jars in `jars`.
pub struct Nodes<P> {
    /// In errors: `LABEL ID exited`, `LABEL ID did not start`.
    label: &'static str,
    dir: PathBuf,
    jars: PathBuf,
    /// The JVM's logging options (`-Dlog4j2.configurationFile=...`).
    log_args: Vec<String>,
    list: Mutex<Vec<Node<P>>>,
}

impl<P> Nodes<P> {
    /// The nodes `list` of the cluster in `dir`; `label` names a node in
    /// errors, `log_args` are the JVM's logging options.
    pub fn new(
        label: &'static str,
        dir: &Path,
        jars: &Path,
        log_args: Vec<String>,
        list: Vec<Node<P>>,
    ) -> Nodes<P> {
        Nodes {
            label,
            dir: dir.to_path_buf(),
            jars: jars.to_path_buf(),
            log_args,
            list: Mutex::new(list),
        }
    }

    /// The nodes.
    pub fn lock(&self) -> MutexGuard<'_, Vec<Node<P>>> {
        self.list.lock().unwrap()
    }

    /// The nodes, even after a panic while they were locked.
    pub fn lock_always(&self) -> MutexGuard<'_, Vec<Node<P>>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on node `id` (panics on an unknown id).
    pub fn with<T>(&self, id: i32, f: impl FnOnce(&mut Node<P>) -> T) -> T {
        let mut nodes = self.lock();
        f(nodes.iter_mut().find(|n| n.id == id).expect("node id"))
    }

    /// Node ids.
    pub fn ids(&self) -> Vec<i32> {
        self.lock().iter().map(|n| n.id).collect()
    }

    /// How many nodes there are.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The cluster directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The jar directory.
    pub fn jars(&self) -> &Path {
        &self.jars
    }

    /// Node `id`'s directory.
    pub fn node_dir(&self, id: i32) -> PathBuf {
        self.dir.join(format!("node{id}"))
    }

    /// Node `id`'s log (stdout and stderr of its JVM, every start appended).
    pub fn log_path(&self, id: i32) -> PathBuf {
        self.node_dir(id).join("kafka.log")
    }

    /// Formats every node's storage with `kafka.tools.StorageTool` for
    /// `cluster_id` (in parallel, a JVM with `jvm` options each, `extra`
    /// arguments after the config), its output in `nodeN/format.log`.
    pub fn format(&self, cluster_id: &str, jvm: &[&str], extra: &[String]) -> Result<(), String> {
        let ids = self.ids();
        let formats: Vec<Child> = ids
            .iter()
            .map(|&id| {
                let nd = self.node_dir(id);
                let log =
                    std::fs::File::create(nd.join("format.log")).map_err(|e| e.to_string())?;
                Command::new("java")
                    .args(jvm)
                    .arg("-cp")
                    .arg(format!("{}/*", self.jars.display()))
                    .args(["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c"])
                    .arg(nd.join("server.properties"))
                    .args(extra)
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().map_err(|e| e.to_string())?)
                    .stderr(log)
                    .spawn()
                    .map_err(|e| format!("cannot run java: {e}"))
            })
            .collect::<Result<_, _>>()?;
        for (mut f, id) in formats.into_iter().zip(ids) {
            let st = f.wait().map_err(|e| e.to_string())?;
            if !st.success() {
                let log = std::fs::read_to_string(self.node_dir(id).join("format.log"))
                    .unwrap_or_default();
                return Err(format!("format of node {id} failed: {log}"));
            }
        }
        Ok(())
    }

    /// Starts node `id`'s JVM; output (appended) in `node<ID>/kafka.log`.
    pub fn launch(&self, id: i32) -> Result<(), String> {
        let nd = self.node_dir(id);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(nd.join("kafka.log"))
            .map_err(|e| e.to_string())?;
        let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut cmd = Command::new("java");
        cmd.args(broker_jvm_opts().split_whitespace())
            .arg("-Djava.awt.headless=true")
            .args(&self.log_args)
            .arg("-cp")
            .arg(format!("{}/*", self.jars.display()))
            .arg("kafka.Kafka")
            .arg(nd.join("server.properties"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        self.with(id, |n| {
            n.log_offset = log_offset;
            let child = spawn_tied(cmd).map_err(|e| format!("cannot start java: {e}"))?;
            n.child = Some(child);
            n.paused = false;
            n.starts += 1;
            Ok(())
        })
    }

    /// Sends `sig` to node `id`'s process (panics when it does not run);
    /// returns its pid.
    pub fn signal(&self, id: i32, sig: i32) -> i32 {
        let pid = self.with(id, |n| n.pid());
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(pid, sig) };
        pid
    }

    /// SIGKILLs node `id` (if it runs) and reaps it; whether it ran.
    pub fn kill(&self, id: i32) -> bool {
        self.with(id, Node::kill_now)
    }

    /// Waits until node `id` logged that it started (after its last launch:
    /// the broker is then unfenced and serving).
    pub fn wait_started(&self, id: i32, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let offset = self.with(id, |n| n.log_offset);
        let path = self.log_path(id);
        loop {
            if read_from(&path, offset).contains("Kafka Server started") {
                return Ok(());
            }
            self.with(id, |n| n.check_exited(self.label))?;
            if Instant::now() > deadline {
                return Err(format!("{} {id} did not start in {timeout:?}", self.label));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every broker in `ids` appears in the metadata `meta`
    /// fetches.
    pub fn wait_brokers(
        &self,
        meta: &BaseConsumer,
        ids: &[i32],
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match meta.fetch_metadata(None, Duration::from_secs(5)) {
                Ok(md) => {
                    let seen: Vec<i32> = md.brokers().iter().map(|b| b.id()).collect();
                    if ids.iter().all(|i| seen.contains(i)) {
                        return Ok(());
                    }
                    format!("brokers in metadata: {seen:?}")
                }
                Err(e) => e.to_string(),
            };
            for n in self.lock().iter_mut().filter(|n| ids.contains(&n.id)) {
                n.check_exited(self.label)?;
            }
            if Instant::now() > deadline {
                return Err(format!("brokers {ids:?} not up in {timeout:?}: {last}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until every node of `ids` started ([`START_TIMEOUT`] each) and
    /// is in the metadata ([`REGISTER_TIMEOUT`]); the error ends with the
    /// tails of the logs.
    pub fn wait_up(&self, meta: &BaseConsumer, ids: &[i32]) -> Result<(), String> {
        ids.iter()
            .try_for_each(|id| self.wait_started(*id, START_TIMEOUT))
            .and_then(|()| self.wait_brokers(meta, ids, REGISTER_TIMEOUT))
            .map_err(|e| format!("{e}\n{}", self.log_tails(40)))
    }

    /// Launches the stopped nodes `ids` again (same ports and data) and
    /// waits until they are up ([`Nodes::wait_up`]); panics if they do not
    /// come up. Returns how long they took after the launch.
    pub fn relaunch(&self, meta: &BaseConsumer, ids: &[i32]) -> Duration {
        for &id in ids {
            self.launch(id).expect("restart node");
        }
        let t0 = Instant::now();
        self.wait_up(meta, ids).unwrap_or_else(|e| panic!("{e}"));
        t0.elapsed()
    }

    /// The last `lines` lines of every node's log.
    pub fn log_tails(&self, lines: usize) -> String {
        let mut s = String::new();
        for id in self.ids() {
            let path = self.log_path(id);
            s += &format!("--- {} (last {lines} lines)\n", path.display());
            s += &tail(&path, lines);
        }
        s
    }

    /// A guard that prints `title` and the tails of the logs if the test
    /// panics.
    pub fn logs_on_panic(&self, title: &'static str) -> LogsOnPanic<'_> {
        LogsOnPanic(Box::new(move || self.log_tails(60)), title)
    }
}

/// See [`Nodes::logs_on_panic`].
pub struct LogsOnPanic<'a>(Box<dyn Fn() -> String + 'a>, &'static str);

impl Drop for LogsOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}:\n{}", self.1, (self.0)());
        }
    }
}
