import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java producer's side of the failover bench: one caller sends a
 * 100-byte record to partition 0 and waits for it ({@code send(record).get()}),
 * again and again, with the client's default settings, and prints
 * {@code ACK <epoch ms>} for every acknowledgement and {@code ERR <epoch ms>}
 * for every failed record. It stops when its standard input closes.
 *
 * <p>Arguments: {@code bootstrap topic}.
 */
public final class FailoverDriver {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        String topic = args[1];
        byte[] value = new byte[100];
        java.util.Arrays.fill(value, (byte) 'x');
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // until the parent closes it
                }
            } catch (java.io.IOException e) {
                // closed
            }
            System.out.flush();
            Runtime.getRuntime().halt(0);
        });
        stdin.setDaemon(true);
        stdin.start();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            while (true) {
                try {
                    producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
                    System.out.println("ACK " + System.currentTimeMillis());
                } catch (java.util.concurrent.ExecutionException e) {
                    System.out.println("ERR " + System.currentTimeMillis());
                }
                System.out.flush();
            }
        }
    }
}
