//! Kafka's own Java tools, run from the cluster's jars in small JVMs
//! (`-Xmx256m`, killed past a hard time limit, their stderr in every
//! failure):
//!
//! - [`console_consume`]: a second independent reader, the console consumer
//!   (`org.apache.kafka.tools.consumer.ConsoleConsumer`, the same class in
//!   3.9.x and 4.x), its output parsed back into [`Consumed`] records.
//! - [`batch_codecs`]: `DumpLogSegments` on the brokers' segment files, for
//!   the codec of every stored batch and Kafka's CRC check of it.
//! - [`run_java_tool`]: the runner under both (and under the console tools
//!   of [`super::secure`]), returning a [`ToolRun`].
//!
//! Run with `--from-beginning --max-messages N --timeout-ms T` and the
//! formatter properties below (`--property` on 3.9, `--formatter-property`
//! on 4.x, which deprecates `--property` with a notice on stdout).
//!
//! Output format of its `DefaultMessageFormatter` with every `print.*` on,
//! as found on 3.9.2 and 4.4.0 (`SEP` = `key.separator`, `HSEP` =
//! `headers.separator`, `EOL` = `line.separator`):
//!
//! ```text
//! CreateTime:<ts>SEPPartition:<p>SEPOffset:<o>SEP<headers>SEP<key>SEP<value>EOL
//! ```
//!
//! `<headers>` is `NO_HEADERS` or `k1:v1HSEPk2:v2...`; a null key, value or
//! header value prints as `null.literal`. Keys, values and header values are
//! written as raw bytes, so the separators below are control characters
//! that test data must not contain (and header keys must not contain `:`).
#![allow(dead_code)]

use super::kafka::{KafkaCluster, Version};
use super::node::spawn_tied;
use super::Consumed;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Column separator (`key.separator`): ASCII unit separator.
pub const SEP: &str = "\u{1f}";
/// Between headers (`headers.separator`): ASCII record separator.
pub const HSEP: &str = "\u{1e}";
/// End of a record (`line.separator`): group separator and a newline, so
/// values may contain newlines.
pub const EOL: &str = "\u{1d}\n";
/// What a null prints as (`null.literal`).
pub const NULL: &str = "\u{1a}NULL\u{1a}";

/// The log4j2 config of a tool's JVM: its log goes to stderr (never into
/// the records on stdout), warnings and up.
pub const TOOLS_LOG4J2: &str =
    "status = error\nappender.err.type = Console\nappender.err.name = STDERR\n\
     appender.err.target = SYSTEM_ERR\nappender.err.layout.type = PatternLayout\n\
     appender.err.layout.pattern = [%d] %p %m (%c)%n\nrootLogger.level = WARN\n\
     rootLogger.appenderRef.err.ref = STDERR\n";

/// Logging of the tool's JVM goes to stderr (never into the records on
/// stdout), warnings and up: log4j2 for 4.x, reload4j for 3.9.
fn log_configs() -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ksync-java-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log4j2 = dir.join("log4j2.properties");
    let log4j = dir.join("log4j.properties");
    std::fs::write(&log4j2, TOOLS_LOG4J2).expect("write log4j2 config");
    std::fs::write(
        &log4j,
        "log4j.rootLogger=WARN, stderr\n\
         log4j.appender.stderr=org.apache.log4j.ConsoleAppender\n\
         log4j.appender.stderr.Target=System.err\n\
         log4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n\
         log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n\n",
    )
    .expect("write log4j config");
    (log4j2, log4j)
}

/// A finished (or killed) run of a Java tool.
#[derive(Debug)]
pub struct ToolRun {
    /// Its exit status; `None` when it was killed at its time limit.
    pub status: Option<ExitStatus>,
    /// Stdout.
    pub stdout: Vec<u8>,
    /// Stderr (its log, WARN and up).
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl ToolRun {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// `exit status: N`, or `killed`.
    pub fn outcome(&self) -> String {
        match self.status {
            Some(s) => s.to_string(),
            None => "killed".to_string(),
        }
    }
}

/// The last part of a class name (`ConsoleConsumer`).
pub fn short_class(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// Runs the Kafka tool `class` with `args` in a small JVM on `jars`
/// (`logging`: its logging options, e.g. `-Dlog4j2.configurationFile=...`),
/// feeding it `stdin` (lines, with a pause between them; none: an empty
/// stdin) and killing it after `limit`. The JVM gets SIGKILL if this
/// process dies first. Never panics on the tool's failure.
pub fn run_java_tool(
    jars: &Path,
    logging: &[String],
    class: &str,
    args: &[String],
    stdin: Option<(Vec<Vec<u8>>, Duration)>,
    limit: Duration,
) -> ToolRun {
    let mut cmd = Command::new("java");
    cmd.args([
        "-Xms64m",
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
    ])
    .args(["-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8"])
    .args(logging)
    .arg("-cp")
    .arg(format!("{}/*", jars.display()))
    .arg(class)
    .args(args)
    .stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut child = spawn_tied(cmd).unwrap_or_else(|e| panic!("cannot start java {class}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let in_t = stdin.map(|(lines, gap)| {
        let mut w = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    std::thread::sleep(gap);
                }
                if w.write_all(line).and_then(|()| w.flush()).is_err() {
                    break;
                }
            }
            // Dropping stdin ends the console producer (after it sent
            // everything).
        })
    });
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for java") {
            break Some(st);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(t) = in_t {
        let _ = t.join();
    }
    ToolRun {
        status,
        stdout: out_t.join().unwrap(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
        elapsed: t0.elapsed(),
    }
}

/// Runs the Kafka tool `class` with `args` in a small JVM on the cluster's
/// jars, killing it after `limit`. Returns its stdout and stderr; panics,
/// with its stderr, when it exits non-zero or had to be killed.
fn run_tool(
    k: &KafkaCluster,
    class: &str,
    args: &[String],
    limit: Duration,
    what: &str,
) -> (Vec<u8>, String) {
    let (log4j2, log4j) = log_configs();
    let logging = [
        format!("-Dlog4j2.configurationFile={}", log4j2.display()),
        format!("-Dlog4j.configuration=file:{}", log4j.display()),
    ];
    let run = run_java_tool(k.jars(), &logging, class, args, None, limit);
    let stderr = &run.stderr;
    match run.status {
        None => panic!("{class} {args:?}: killed after {limit:?}\nstderr:\n{stderr}"),
        Some(st) if !st.success() => panic!("{class} {args:?}: {st}\nstderr:\n{stderr}"),
        Some(_) => {}
    }
    eprintln!(
        "java {}: {what}: {:.1} s",
        short_class(class),
        run.elapsed.as_secs_f64()
    );
    (run.stdout, run.stderr)
}

/// The console consumer's arguments: `topic` on `bootstrap` from the
/// beginning, at most `expected` records, `timeout` without one, and the
/// formatter properties of the module docs, each after `flag`
/// (`--property` or `--formatter-property`).
pub fn console_consumer_args(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    timeout: Duration,
    flag: &str,
) -> Vec<String> {
    let mut args: Vec<String> = [
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        &expected.to_string(),
        "--timeout-ms",
        &timeout.as_millis().to_string(),
    ]
    .map(String::from)
    .into();
    let props = [
        "print.timestamp=true".to_string(),
        "print.partition=true".to_string(),
        "print.offset=true".to_string(),
        "print.headers=true".to_string(),
        "print.key=true".to_string(),
        "print.value=true".to_string(),
        format!("key.separator={SEP}"),
        format!("headers.separator={HSEP}"),
        format!("line.separator={EOL}"),
        format!("null.literal={NULL}"),
    ];
    for p in props {
        args.extend([flag.to_string(), p]);
    }
    args
}

/// Parses the console consumer's output `raw` on `topic`; panics (with its
/// `stderr`) on a line it cannot parse or when it holds another number of
/// records than `expected`.
pub fn parse_expected(raw: &[u8], stderr: &str, topic: &str, expected: usize) -> Vec<Consumed> {
    let got = parse(raw)
        .unwrap_or_else(|e| panic!("ConsoleConsumer output on {topic}: {e}\nstderr:\n{stderr}"));
    assert_eq!(
        got.len(),
        expected,
        "the Java console consumer read {} of {expected} records from {topic}\nstderr:\n{stderr}",
        got.len()
    );
    got
}

/// Runs the console consumer on `topic` from the beginning until it has
/// read `expected` records (`--max-messages`), and returns its raw stdout
/// and its stderr. Bounded twice: `--timeout-ms` = `timeout` (no record for
/// that long: the tool gives up) and a hard limit 30 s later (killed).
pub fn console_consume_raw(
    k: &KafkaCluster,
    topic: &str,
    expected: usize,
    timeout: Duration,
) -> (Vec<u8>, String) {
    console_consume_raw_with(k, topic, expected, timeout, &[])
}

/// As [`console_consume_raw`], with more console consumer arguments (e.g.
/// `--isolation-level read_committed`).
pub fn console_consume_raw_with(
    k: &KafkaCluster,
    topic: &str,
    expected: usize,
    timeout: Duration,
    extra: &[&str],
) -> (Vec<u8>, String) {
    // 4.x deprecates `--property` (with a notice on stdout) for
    // `--formatter-property`, which 3.9 does not know.
    let flag = match k.version {
        Version::V3_9 => "--property",
        Version::V4 => "--formatter-property",
    };
    let mut args = console_consumer_args(&k.bootstrap, topic, expected, timeout, flag);
    args.extend(extra.iter().map(|a| a.to_string()));
    let class = "org.apache.kafka.tools.consumer.ConsoleConsumer";
    run_tool(k, class, &args, timeout + Duration::from_secs(30), topic)
}

/// Reads `expected` records of `topic` with the Java console consumer and
/// parses them; panics if it read a different number, or on a line it
/// cannot parse. Records come in per-partition offset order.
pub fn console_consume(
    k: &KafkaCluster,
    topic: &str,
    expected: usize,
    timeout: Duration,
) -> Vec<Consumed> {
    let (raw, stderr) = console_consume_raw(k, topic, expected, timeout);
    parse_expected(&raw, &stderr, topic, expected)
}

/// The first segment file of `topic`'s `partition` on its leader (the
/// layout of `kafka.rs`: `TMP/ksync-kafka-PID-VERSION/nodeN/data`).
pub fn first_segment(k: &KafkaCluster, topic: &str, partition: i32) -> PathBuf {
    let leader = k.leader_of(topic, partition);
    let f = k
        .data_dir(leader)
        .join(format!("{topic}-{partition}/00000000000000000000.log"));
    assert!(f.exists(), "no segment {}", f.display());
    f
}

/// The codec names (`compresscodec:`) of the batches in each of `segments`,
/// as Kafka's `DumpLogSegments` reads them (one JVM for all); panics if it
/// finds a batch whose CRC is not valid.
pub fn batch_codecs(k: &KafkaCluster, segments: &[PathBuf]) -> Vec<BTreeSet<String>> {
    let class = match k.version {
        Version::V3_9 => "kafka.tools.DumpLogSegments",
        Version::V4 => "org.apache.kafka.tools.DumpLogSegments",
    };
    let files: Vec<String> = segments.iter().map(|p| p.display().to_string()).collect();
    let args = ["--files".to_string(), files.join(",")];
    let (out, _) = run_tool(
        k,
        class,
        &args,
        Duration::from_secs(60),
        &format!("{} files", files.len()),
    );
    let out = String::from_utf8_lossy(&out);
    let mut codecs = vec![BTreeSet::new(); segments.len()];
    let mut current = None;
    for line in out.lines() {
        if let Some(path) = line.strip_prefix("Dumping ") {
            current = files.iter().position(|f| f == path.trim());
        } else if let Some((_, rest)) = line.split_once("compresscodec: ") {
            assert!(line.contains("isvalid: true"), "invalid batch: {line}");
            let i = current.unwrap_or_else(|| panic!("batch before any file: {line}"));
            codecs[i].insert(rest.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    codecs
}

/// Parses the console consumer's output (see the module docs).
pub fn parse(raw: &[u8]) -> Result<Vec<Consumed>, String> {
    let mut out = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let end = find(rest, EOL.as_bytes())
            .ok_or_else(|| format!("record without line end: {:?}", lossy(rest)))?;
        out.push(parse_record(&rest[..end])?);
        rest = &rest[end + EOL.len()..];
    }
    Ok(out)
}

fn parse_record(line: &[u8]) -> Result<Consumed, String> {
    let bad = |what: &str| format!("{what} in record {:?}", lossy(line));
    let fields = split(line, SEP.as_bytes());
    let [ts, partition, offset, headers, key, value] = fields[..] else {
        return Err(bad(&format!("{} fields, not 6,", fields.len())));
    };
    let number = |field: &[u8], prefix: &str| -> Result<i64, String> {
        std::str::from_utf8(field)
            .ok()
            .and_then(|s| s.strip_prefix(prefix))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("no {prefix}<number>")))
    };
    let nullable = |f: &[u8]| (f != NULL.as_bytes()).then(|| f.to_vec());
    let headers = if headers == b"NO_HEADERS" {
        Vec::new()
    } else {
        split(headers, HSEP.as_bytes())
            .into_iter()
            .map(|h| {
                let colon = h
                    .iter()
                    .position(|&b| b == b':')
                    .ok_or_else(|| bad("header"))?;
                let k = String::from_utf8(h[..colon].to_vec()).map_err(|_| bad("header key"))?;
                Ok((k, nullable(&h[colon + 1..])))
            })
            .collect::<Result<_, String>>()?
    };
    Ok(Consumed {
        partition: number(partition, "Partition:")? as i32,
        offset: number(offset, "Offset:")?,
        key: nullable(key),
        value: nullable(value),
        headers,
        timestamp: Some(number(ts, "CreateTime:")?),
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut s: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(i) = find(s, sep) {
        parts.push(&s[..i]);
        s = &s[i + sep.len()..];
    }
    parts.push(s);
    parts
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned()
}
