//! Serves the producer's metrics to Prometheus, through the `metrics`
//! facade (`--features metrics`) and `metrics-exporter-prometheus`.
//!
//! ```text
//! cargo run --features metrics --example prometheus_metrics -- localhost:9092 events 127.0.0.1:9898
//! curl -s 127.0.0.1:9898/metrics | grep kafka_producer_record_send_total
//! ```
//!
//! With no bootstrap servers (or `-`) it produces to an in-process
//! librdkafka mock cluster. It sends a record every 10 ms and answers
//! every HTTP request on the listen address with the exposition text; a
//! plain `std::net::TcpListener` is enough for a scrape endpoint, so no
//! async runtime is needed.

use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

fn serve(listener: TcpListener, handle: PrometheusHandle) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut request = [0u8; 1024];
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = stream.read(&mut request);
        handle.run_upkeep();
        let body = handle.render();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bootstrap = args.first().cloned().filter(|b| b != "-");
    let topic = args.get(1).cloned().unwrap_or_else(|| "events".to_string());
    let listen = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:9898".to_string());

    // Install the recorder before the producer starts publishing.
    let handle = PrometheusBuilder::new().install_recorder()?;

    let mock = match bootstrap {
        Some(_) => None,
        None => {
            let cluster = rdkafka::mocking::MockCluster::new(1)?;
            cluster.create_topic(&topic, 3, 1)?;
            Some(cluster)
        }
    };
    let servers = bootstrap.unwrap_or_else(|| mock.as_ref().unwrap().bootstrap_servers());
    let producer: Producer<String, String> = Producer::new(
        ProducerConfig::builder()
            .bootstrap_servers(&servers)
            .client_id("prometheus-example")
            .build()?,
    )?;

    let listener = TcpListener::bind(&listen)?;
    println!("producing to {topic} at {servers}; metrics at http://{listen}/metrics");
    std::thread::spawn(move || serve(listener, handle));

    for i in 0u64.. {
        let record = ProducerRecord::new(topic.clone(), format!("value-{i}")).key(format!("k{i}"));
        producer.send(record)?;
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
