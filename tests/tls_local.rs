//! TLS failures no Kafka listener of the test bed produces, against
//! `openssl s_server`: an expired broker certificate. The certificates are
//! made with the `openssl` command (`scripts/test.sh` installs it); without
//! it the test is skipped outside CI and fails in CI.
#![cfg(feature = "tls")]

mod common;

use common::tansu::{free_port, in_ci};
use kafka_sync::config::SecurityProtocol;
use kafka_sync::{Error, Producer, ProducerConfig, ProducerRecord};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A CA and a server certificate for 127.0.0.1 valid only in January 2020.
fn expired_certificates(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let d = dir.display().to_string();
    let ca_cnf = format!(
        "[ca]\ndefault_ca = ca_default\n[ca_default]\ndir = {d}\ndatabase = {d}/index.txt\n\
         new_certs_dir = {d}\nserial = {d}/serial\ndefault_md = sha256\npolicy = pol\n\
         unique_subject = no\n[pol]\ncommonName = supplied\n"
    );
    std::fs::write(dir.join("ca.cnf"), ca_cnf).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("index.txt"), "").map_err(|e| e.to_string())?;
    std::fs::write(dir.join("serial"), "1000\n").map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName = DNS:localhost,IP:127.0.0.1\n",
    )
    .map_err(|e| e.to_string())?;
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=ksync-expired-ca",
            "-days",
            "3650",
        ],
    )?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
            "-subj",
            "/CN=localhost",
        ],
    )?;
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "srv.csr",
            "-out",
            "srv.pem",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
            "-extfile",
            "ext.cnf",
            "-notext",
        ],
    )
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn s_server(dir: &Path, port: u16) -> Result<Server, String> {
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-accept"])
        .arg(port.to_string())
        .args(["-cert", "srv.pem", "-key", "srv.key"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run openssl s_server: {e}"))?;
    let server = Server(child);
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t0.elapsed() > Duration::from_secs(20) {
            return Err("openssl s_server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

#[test]
fn an_expired_broker_certificate_is_an_authentication_error_that_says_so() {
    let dir = std::env::temp_dir().join(format!("ksync-tls-expired-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = free_port();
    let server = expired_certificates(&dir).and_then(|()| s_server(&dir, port));
    let _server = match server {
        Ok(s) => s,
        Err(e) => {
            assert!(!in_ci(), "openssl is required in CI: {e}");
            eprintln!("SKIPPED: {e}");
            return;
        }
    };
    let config = ProducerConfig::builder()
        .bootstrap_servers(format!("127.0.0.1:{port}"))
        .security_protocol(SecurityProtocol::Ssl)
        .ssl_truststore_location(dir.join("ca.pem"))
        .max_block(Duration::from_secs(20))
        .build()
        .unwrap();
    let p: Producer<Vec<u8>, Vec<u8>> = Producer::new(config).unwrap();
    let t0 = Instant::now();
    let e = p
        .send(ProducerRecord::new("t", b"x".to_vec()))
        .map_err(|e| Error::from(e.error))
        .and_then(|h| h.wait().map_err(Error::from))
        .expect_err("an expired certificate must be refused");
    println!(
        "SECURITY-FAILURE expired certificate: after {} ms: {e}",
        t0.elapsed().as_millis()
    );
    assert!(
        matches!(&e, Error::Authentication { message } if message.contains("has expired")),
        "{e}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
    p.close(Duration::ZERO);
    let _ = std::fs::remove_dir_all(&dir);
}
