// The Java client's side of benches/vs_peers (see main.rs there for how
// every number is measured). Compiled by the bench with javac against the
// Kafka jars and run as `java -cp DIR:JARS/* BenchDriver key=value ...`.
//
// throughput: org.apache.kafka.tools.ProducerPerformance.main (Kafka's own
//   perf tool: one caller thread, a callback per record) runs twice in this
//   JVM. The first run is discarded (JIT warm-up). The second sends
//   records+1 records with --warmup-records 1; the measured span starts at
//   its second send (the first send fetched the metadata), marked by the
//   Mark interceptor, and ends when main returns (after producer.close(),
//   so after every acknowledgement). Over that span: wall time, and the
//   JVM's process CPU time (OperatingSystemMXBean.getProcessCpuTime: every
//   JVM thread, user+sys). ProducerPerformance's own steady-state summary
//   line is parsed for the acknowledged count and forwarded (pp_*).
// latency: one thread, send(record).get() per record on a KafkaProducer with
//   the same settings; a discarded warm-up loop of the same length first.
// sync: `threads` threads on one shared KafkaProducer, each calling
//   send(record).get() per record; a discarded warm-up round of the same
//   length (same threads, same producer) first. The span runs from when all
//   callers are ready to when the last is done; CPU is the process's over
//   it, spawning the callers included.
//
// Prints one line `RESULT key=value ...` on stdout.

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.tools.ProducerPerformance;

public final class BenchDriver {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** Marks the start of the measured span at the `markAt`-th send. */
    public static final class Mark implements ProducerInterceptor<byte[], byte[]> {
        static long markAt = -1;
        static long sends;
        static volatile long cpuNs;
        static volatile long wallNs;
        static volatile long[] ticks;

        @Override
        public ProducerRecord<byte[], byte[]> onSend(ProducerRecord<byte[], byte[]> r) {
            if (++sends == markAt) {
                ticks = userSysTicks();
                cpuNs = OS.getProcessCpuTime();
                wallNs = System.nanoTime();
            }
            return r;
        }

        @Override
        public void onAcknowledgement(RecordMetadata m, Exception e) {}

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }

    /** utime and stime of this process in clock ticks (/proc/self/stat). */
    static long[] userSysTicks() {
        try {
            String s = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), StandardCharsets.US_ASCII);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (Exception e) {
            return new long[] {0, 0};
        }
    }

    static long vmHwmKb() {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (Exception e) {
            // unknown
        }
        return -1;
    }

    final Map<String, String> spec = new HashMap<>();
    final List<String> out = new ArrayList<>();

    String get(String k) {
        String v = spec.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing " + k);
        }
        return v;
    }

    void put(String k, Object v) {
        out.add(k + "=" + v);
    }

    /** The producer settings, identical to the other clients'. */
    List<String> props() {
        return new ArrayList<>(Arrays.asList(
                "bootstrap.servers=" + get("bootstrap"),
                "acks=" + get("acks"),
                "enable.idempotence=" + get("idempotence"),
                "linger.ms=" + get("linger_ms"),
                "batch.size=" + get("batch_size"),
                "buffer.memory=" + get("buffer_memory"),
                "compression.type=" + get("codec"),
                "max.in.flight.requests.per.connection=5"));
    }

    /** ProducerPerformance's arguments for a run of `n` records. */
    String[] perfArgs(long n, boolean measured) {
        List<String> a = new ArrayList<>(Arrays.asList(
                "--topic", get("topic"),
                "--num-records", Long.toString(n),
                "--throughput", "-1",
                "--payload-file", get("payload_file"),
                "--reporting-interval", "1000000000"));
        if (Boolean.parseBoolean(get("keyed"))) {
            a.addAll(Arrays.asList("--key-distribution", "random", "--record-key-range", "10000"));
        }
        if (measured) {
            a.addAll(Arrays.asList("--warmup-records", "1"));
        }
        a.add("--command-property");
        a.addAll(props());
        if (measured) {
            a.add("interceptor.classes=" + Mark.class.getName());
        }
        return a.toArray(new String[0]);
    }

    /** Runs ProducerPerformance.main with its stdout captured. */
    static String perf(String[] args) throws Exception {
        PrintStream real = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, "UTF-8"));
        try {
            ProducerPerformance.main(args);
        } finally {
            System.setOut(real);
        }
        return buf.toString("UTF-8");
    }

    void throughput() throws Exception {
        long records = Long.parseLong(get("records"));
        long warm = Long.parseLong(get("warmup"));
        int size = Integer.parseInt(get("size"));
        perf(perfArgs(warm, false));
        Mark.markAt = 2;
        Mark.sends = 0;
        String text = perf(perfArgs(records + 1, true));
        long wall1 = System.nanoTime();
        long cpu1 = OS.getProcessCpuTime();
        long[] t1 = userSysTicks();
        Pattern p = Pattern.compile("(\\d+) steady state records sent, ([0-9.]+) records/sec \\(([0-9.]+) MB/sec\\), "
                + "([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99.9th");
        Matcher m = p.matcher(text);
        if (!m.find() || Mark.wallNs == 0) {
            throw new IllegalStateException("no steady-state summary from ProducerPerformance:\n" + text);
        }
        long acked = Long.parseLong(m.group(1));
        double secs = (wall1 - Mark.wallNs) / 1e9;
        double cpu = (cpu1 - Mark.cpuNs) / 1e9;
        span(acked, records - acked, size, secs, cpu, t1);
        put("warmup_records", warm);
        put("pp_rps", m.group(2));
        put("pp_lat_avg_ms", m.group(4));
        put("pp_lat_max_ms", m.group(5));
        put("pp_lat_p50_ms", m.group(6));
        put("pp_lat_p99_ms", m.group(8));
    }

    void span(long sent, long failed, int size, double secs, double cpu, long[] t1) {
        double tick = 100.0; // USER_HZ on Linux
        put("records", sent);
        put("failed", failed);
        put("elapsed_s", String.format("%.6f", secs));
        put("rps", String.format("%.1f", sent / secs));
        if (size > 0) {
            put("mbps", String.format("%.3f", sent * (double) size / secs / 1e6));
        }
        put("cpu_s", String.format("%.6f", cpu));
        put("user_s", String.format("%.6f", (t1[0] - Mark.ticks[0]) / tick));
        put("sys_s", String.format("%.6f", (t1[1] - Mark.ticks[1]) / tick));
        put("cpu_us_per_record", String.format("%.4f", cpu * 1e6 / Math.max(1, sent)));
        put("cpu_cores", String.format("%.3f", cpu / secs));
    }

    /** A KafkaProducer with the settings of props(). */
    KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        for (String kv : props()) {
            int i = kv.indexOf('=');
            props.put(kv.substring(0, i), kv.substring(i + 1));
        }
        props.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        return new KafkaProducer<>(props);
    }

    /** The value pool, one value per line of the payload file. */
    List<byte[]> values() throws Exception {
        List<byte[]> values = new ArrayList<>();
        for (String l : Files.readAllLines(Paths.get(get("payload_file")), StandardCharsets.UTF_8)) {
            values.add(l.getBytes(StandardCharsets.UTF_8));
        }
        return values;
    }

    /** Sorts the latencies (µs) and reports their mean and percentiles. */
    void latencies(int[] lat) {
        Arrays.sort(lat);
        int n = lat.length;
        double sum = 0;
        for (int v : lat) {
            sum += v;
        }
        put("lat_mean_us", String.format("%.1f", sum / n));
        put("lat_p50_us", lat[Math.min((int) (0.50 * n), n - 1)]);
        put("lat_p99_us", lat[Math.min((int) (0.99 * n), n - 1)]);
        put("lat_p999_us", lat[Math.min((int) (0.999 * n), n - 1)]);
        put("lat_max_us", lat[n - 1]);
    }

    void latency() throws Exception {
        long records = Long.parseLong(get("records"));
        List<byte[]> values = values();
        String topic = get("topic");
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (long i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, values.get((int) (i % values.size())))).get();
            }
            int[] lat = new int[(int) records];
            Mark.ticks = userSysTicks();
            long cpu0 = OS.getProcessCpuTime();
            long start = System.nanoTime();
            for (long i = 0; i < records; i++) {
                long t = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, values.get((int) (i % values.size())))).get();
                lat[(int) i] = (int) ((System.nanoTime() - t) / 1000);
            }
            long end = System.nanoTime();
            long cpu1 = OS.getProcessCpuTime();
            span(records, 0, 0, (end - start) / 1e9, (cpu1 - cpu0) / 1e9, userSysTicks());
            out.removeIf(s -> s.startsWith("mbps="));
            latencies(lat);
            put("warmup_records", records);
        }
    }

    /**
     * `threads` callers on one producer, caller t sending records t, t +
     * threads, ... below `records`, each send(record).get() in turn; lat[i]
     * gets record i's latency (µs). Returns the span's wall time in ns, from
     * when every caller is ready to when the last is done.
     */
    static long syncRound(KafkaProducer<byte[], byte[]> producer, String topic, List<byte[]> values,
            int threads, long records, int[] lat) throws Exception {
        CyclicBarrier ready = new CyclicBarrier(threads + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int first = t;
            Thread c = new Thread(() -> {
                try {
                    ready.await();
                    for (long i = first; i < records; i += threads) {
                        long t0 = System.nanoTime();
                        producer.send(new ProducerRecord<>(topic, values.get((int) (i % values.size())))).get();
                        lat[(int) i] = (int) ((System.nanoTime() - t0) / 1000);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "caller-" + t);
            c.start();
            callers.add(c);
        }
        ready.await();
        long start = System.nanoTime();
        for (Thread c : callers) {
            c.join();
        }
        long wall = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("a caller failed", failure.get());
        }
        return wall;
    }

    /**
     * sync: `threads` callers on one shared KafkaProducer, each
     * send(record).get() per record; a discarded round of the same length
     * on the same producer first (JIT). CPU is the process's over the
     * measured round (its usage is taken just before the callers start).
     */
    void sync() throws Exception {
        long records = Long.parseLong(get("records"));
        int threads = Integer.parseInt(get("threads"));
        List<byte[]> values = values();
        String topic = get("topic");
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            int[] lat = new int[(int) records];
            syncRound(producer, topic, values, threads, records, lat);
            Mark.ticks = userSysTicks();
            long cpu0 = OS.getProcessCpuTime();
            long wall = syncRound(producer, topic, values, threads, records, lat);
            long cpu1 = OS.getProcessCpuTime();
            span(records, 0, 0, wall / 1e9, (cpu1 - cpu0) / 1e9, userSysTicks());
            out.removeIf(s -> s.startsWith("mbps="));
            latencies(lat);
            put("threads", threads);
            put("warmup_records", records);
        }
    }

    public static void main(String[] args) throws Exception {
        BenchDriver d = new BenchDriver();
        for (String a : args) {
            int i = a.indexOf('=');
            d.spec.put(a.substring(0, i), a.substring(i + 1));
        }
        switch (d.get("mode")) {
            case "throughput":
            case "callback": // ProducerPerformance's callback per record
                d.throughput();
                break;
            case "latency":
                d.latency();
                break;
            case "sync":
                d.sync();
                break;
            default:
                throw new IllegalArgumentException("mode " + d.get("mode") + " is not run for java");
        }
        d.put("maxrss_kb", vmHwmKb());
        System.out.println("RESULT " + String.join(" ", d.out));
        System.out.flush();
        // The producers are closed; daemon-less leftovers must not keep the JVM.
        System.exit(0);
    }
}
