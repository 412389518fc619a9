//! SASL PLAIN (RFC 4616): one message, `authzid NUL authcid NUL passwd`,
//! with an empty authorization id as the Java client sends it.

use super::Password;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Initial,
    Sent,
    Complete,
    Failed,
}

/// A PLAIN exchange.
pub(crate) struct PlainExchange {
    username: String,
    password: Password,
    step: Step,
}

impl PlainExchange {
    /// Checks the credentials: a non-empty user name and password, neither
    /// containing NUL (RFC 4616 `SAFE`).
    pub(crate) fn new(username: &str, password: &Password) -> Result<PlainExchange, String> {
        if username.is_empty() {
            return Err("SASL PLAIN needs a user name (it is empty)".into());
        }
        if username.contains('\0') {
            return Err("SASL PLAIN user name must not contain NUL".into());
        }
        if password.expose().is_empty() {
            return Err("SASL PLAIN needs a password (it is empty)".into());
        }
        if password.expose().contains('\0') {
            return Err("SASL PLAIN password must not contain NUL".into());
        }
        Ok(PlainExchange {
            username: username.to_owned(),
            password: password.clone(),
            step: Step::Initial,
        })
    }

    pub(crate) fn first_message(&mut self) -> Result<Vec<u8>, String> {
        if self.step != Step::Initial {
            return Err("SASL PLAIN first message was already sent".into());
        }
        let mut msg = Vec::with_capacity(2 + self.username.len() + self.password.expose().len());
        msg.push(0);
        msg.extend_from_slice(self.username.as_bytes());
        msg.push(0);
        msg.extend_from_slice(self.password.expose().as_bytes());
        // The password is not needed again.
        self.password = Password::from("");
        self.step = Step::Sent;
        Ok(msg)
    }

    /// PLAIN completes on the server's first (successful) answer, whatever
    /// its bytes (Kafka sends none).
    pub(crate) fn on_server_message(&mut self, _data: &[u8]) -> Result<Option<Vec<u8>>, String> {
        match self.step {
            Step::Sent => {
                self.step = Step::Complete;
                Ok(None)
            }
            Step::Initial => {
                self.step = Step::Failed;
                Err("SASL PLAIN: server message before the client's first message".into())
            }
            Step::Complete => {
                self.step = Step::Failed;
                Err("SASL PLAIN: server message after authentication completed".into())
            }
            Step::Failed => Err("SASL PLAIN exchange already failed".into()),
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.step == Step::Complete
    }

    pub(crate) fn step(&self) -> &'static str {
        match self.step {
            Step::Initial => "initial",
            Step::Sent => "awaiting server answer",
            Step::Complete => "complete",
            Step::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_plain_message_and_completion() {
        let mut x = PlainExchange::new("alice", &Password::from("s3cr=t,")).unwrap();
        assert!(!x.is_complete());
        assert_eq!(x.first_message().unwrap(), b"\0alice\0s3cr=t,");
        assert!(x.first_message().is_err());
        assert!(!x.is_complete());
        assert_eq!(x.on_server_message(b"").unwrap(), None);
        assert!(x.is_complete());
        assert!(x.on_server_message(b"").is_err());
        assert!(!x.is_complete());
    }

    #[test]
    fn sasl_plain_rejects_bad_credentials() {
        assert!(PlainExchange::new("", &Password::from("p")).is_err());
        assert!(PlainExchange::new("a\0b", &Password::from("p")).is_err());
        assert!(PlainExchange::new("a", &Password::from("")).is_err());
        let e = PlainExchange::new("a", &Password::from("p\0q"))
            .err()
            .unwrap();
        assert!(!e.contains("p\0q"));
    }

    #[test]
    fn sasl_plain_server_message_before_first_fails() {
        let mut x = PlainExchange::new("a", &Password::from("p")).unwrap();
        assert!(x.on_server_message(b"").is_err());
        assert!(x.first_message().is_err());
    }
}
