//! The Java client's `sasl.jaas.config`: one JAAS login module entry,
//!
//! ```text
//! <class name> <required|requisite|sufficient|optional> [<name>=<value>]* ;
//! ```
//!
//! with values quoted (`"..."`, backslash escapes as Java's
//! `StreamTokenizer`: `\n \t \r \b \f \a \v`, octal `\ooo`, any other
//! character stands for itself) or unquoted (up to a blank or `;`), and
//! `//` or `/* */` comments between tokens. Only Kafka's PLAIN, SCRAM and
//! OAUTHBEARER login modules are known.
//!
//! Errors name what is wrong and where (a byte offset), never a value: the
//! string holds a password.

use super::{Password, SaslCredentials, SaslMechanism, UnsecuredTokenProvider};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A Kafka login module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JaasModule {
    /// `org.apache.kafka.common.security.plain.PlainLoginModule`.
    Plain,
    /// `org.apache.kafka.common.security.scram.ScramLoginModule`.
    Scram,
    /// `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule`.
    OAuthBearer,
}

impl JaasModule {
    const ALL: [JaasModule; 3] = [
        JaasModule::Plain,
        JaasModule::Scram,
        JaasModule::OAuthBearer,
    ];

    /// The Java class name.
    pub(crate) fn class_name(self) -> &'static str {
        match self {
            JaasModule::Plain => "org.apache.kafka.common.security.plain.PlainLoginModule",
            JaasModule::Scram => "org.apache.kafka.common.security.scram.ScramLoginModule",
            JaasModule::OAuthBearer => {
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
            }
        }
    }

    fn short_name(self) -> &'static str {
        self.class_name().rsplit('.').next().unwrap_or_default()
    }
}

/// A parsed `sasl.jaas.config`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct JaasLogin {
    /// The login module.
    pub module: JaasModule,
    /// The options, in order (names are unique).
    pub options: Vec<(String, String)>,
}

/// Whether an option's value is shown by `Debug`.
fn is_sensitive(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token", "credential", "key"]
        .iter()
        .any(|s| key.contains(s))
}

impl fmt::Debug for JaasLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Options<'a>(&'a [(String, String)]);
        impl fmt::Debug for Options<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut m = f.debug_map();
                for (k, v) in self.0 {
                    let v: &dyn fmt::Debug = if is_sensitive(k) { &"[redacted]" } else { v };
                    m.entry(k, v);
                }
                m.finish()
            }
        }
        f.debug_struct("JaasLogin")
            .field("module", &self.module)
            .field("options", &Options(&self.options))
            .finish()
    }
}

impl JaasLogin {
    /// The value of an option.
    pub(crate) fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `username` option.
    pub(crate) fn username(&self) -> Option<&str> {
        self.option("username")
    }

    /// The `password` option.
    pub(crate) fn password(&self) -> Option<Password> {
        self.option("password").map(Password::from)
    }

    /// The credentials for `mechanism` (`sasl.mechanism`), which must match
    /// the module: PLAIN and SCRAM take `username` and `password`;
    /// OAUTHBEARER gets an [`UnsecuredTokenProvider`] from the
    /// `unsecuredLogin*` options.
    pub(crate) fn credentials(&self, mechanism: SaslMechanism) -> Result<SaslCredentials, String> {
        let module = self.module.short_name();
        match (self.module, mechanism) {
            (JaasModule::Plain, SaslMechanism::Plain)
            | (JaasModule::Scram, SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512) => {
                if self
                    .option("tokenauth")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
                {
                    return Err(format!(
                        "sasl.jaas.config: {module} option `tokenauth` (delegation tokens) is not supported"
                    ));
                }
                let username = self
                    .username()
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| format!("sasl.jaas.config: {module} needs a `username`"))?;
                let password = self
                    .password()
                    .ok_or_else(|| format!("sasl.jaas.config: {module} needs a `password`"))?;
                Ok(SaslCredentials {
                    mechanism,
                    username: username.to_owned(),
                    password,
                    token_provider: None,
                })
            }
            (JaasModule::OAuthBearer, SaslMechanism::OAuthBearer) => Ok(SaslCredentials {
                mechanism,
                username: String::new(),
                password: Password::from(""),
                token_provider: Some(Arc::new(self.unsecured_token_provider()?)),
            }),
            _ => Err(format!(
                "sasl.jaas.config uses {module}, which does not go with sasl.mechanism {mechanism}"
            )),
        }
    }

    /// The unsecured token provider described by the options of
    /// `OAuthBearerLoginModule` (as the Java client's default handler):
    /// `unsecuredLoginStringClaim_sub` (required), `..._<name>` for other
    /// string claims, `unsecuredLoginNumberClaim_<name>`,
    /// `unsecuredLoginListClaim_<name>` (the first character of the value is
    /// the delimiter: `",read,write"`; `scope` is the scope),
    /// `unsecuredLoginLifetimeSeconds` and `unsecuredLoginExtension_<key>`.
    /// Options not starting with `unsecuredLogin` are ignored.
    pub(crate) fn unsecured_token_provider(&self) -> Result<UnsecuredTokenProvider, String> {
        const PREFIX: &str = "unsecuredLogin";
        let mut principal = None;
        let mut lifetime = None;
        let mut scope = Vec::new();
        let mut claims: Vec<(String, String, char)> = Vec::new();
        let mut extensions = Vec::new();
        for (key, value) in &self.options {
            let Some(rest) = key.strip_prefix(PREFIX) else {
                continue;
            };
            let bad = |what: &str| format!("sasl.jaas.config: option `{key}` {what}");
            if let Some(name) = rest.strip_prefix("StringClaim_") {
                if name == "sub" {
                    principal = Some(value.clone());
                } else {
                    claims.push((name.to_owned(), value.clone(), 's'));
                }
            } else if let Some(name) = rest.strip_prefix("NumberClaim_") {
                claims.push((name.to_owned(), value.clone(), 'n'));
            } else if let Some(name) = rest.strip_prefix("ListClaim_") {
                if name == "scope" {
                    scope = split_list(value);
                } else {
                    claims.push((name.to_owned(), value.clone(), 'l'));
                }
            } else if let Some(name) = rest.strip_prefix("Extension_") {
                extensions.push((name.to_owned(), value.clone()));
            } else if rest == "LifetimeSeconds" {
                let secs: u64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| bad("must be a positive whole number of seconds"))?;
                lifetime = Some(Duration::from_secs(secs));
            } else if (rest == "PrincipalClaimName" && value == "sub")
                || (rest == "ScopeClaimName" && value == "scope")
            {
                // The defaults.
            } else {
                return Err(bad("is not supported"));
            }
        }
        let principal = principal.ok_or(
            "sasl.jaas.config: OAuthBearerLoginModule needs unsecuredLoginStringClaim_sub \
             (only unsecured tokens can be made from it: give a TokenProvider for real tokens)",
        )?;
        let mut provider = UnsecuredTokenProvider::new(principal).scope(scope);
        if let Some(lifetime) = lifetime {
            provider = provider.lifetime(lifetime);
        }
        for (name, value, kind) in claims {
            provider = match kind {
                's' => provider.string_claim(name, value),
                'n' => {
                    let n = value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .ok_or_else(|| {
                            format!(
                                "sasl.jaas.config: option `unsecuredLoginNumberClaim_{name}` \
                                 is not a number"
                            )
                        })?;
                    provider.number_claim(name, n)
                }
                _ => provider.list_claim(name, split_list(&value)),
            };
        }
        for (key, value) in extensions {
            provider = provider.extension(key, value);
        }
        Ok(provider)
    }
}

/// A Java list claim value: the first character is the delimiter; empty
/// items are dropped.
fn split_list(value: &str) -> Vec<String> {
    let mut chars = value.chars();
    match chars.next() {
        None => Vec::new(),
        Some(delim) => chars
            .as_str()
            .split(delim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// Parses a `sasl.jaas.config` value holding exactly one login module entry.
pub(crate) fn parse_jaas(config: &str) -> Result<JaasLogin, String> {
    let mut p = Parser { s: config, pos: 0 };
    p.skip_blank()?;
    let at = p.pos;
    let class = p.word();
    if class.is_empty() {
        return Err(format!(
            "sasl.jaas.config: expected a login module class name at offset {at}"
        ));
    }
    let module = JaasModule::ALL
        .into_iter()
        .find(|m| m.class_name() == class)
        .ok_or_else(|| {
            let known = JaasModule::ALL.map(JaasModule::class_name).join(", ");
            // Only a name that looks like a Java class is repeated.
            if class.contains('.') && class.len() <= 200 {
                format!("sasl.jaas.config: unsupported login module `{class}` (known: {known})")
            } else {
                format!("sasl.jaas.config: the login module is not one of {known}")
            }
        })?;
    p.skip_blank()?;
    let at = p.pos;
    let flag = p.word();
    if !["required", "requisite", "sufficient", "optional"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(flag))
    {
        return Err(format!(
            "sasl.jaas.config: expected a control flag (required, requisite, sufficient or \
             optional) after the login module name, at offset {at}"
        ));
    }
    let mut options: Vec<(String, String)> = Vec::new();
    loop {
        p.skip_blank()?;
        let at = p.pos;
        match p.peek() {
            None => return Err("sasl.jaas.config: the entry is not terminated by ';'".into()),
            Some(';') => {
                p.pos += 1;
                break;
            }
            Some(_) => {}
        }
        let key = p.word();
        if key.is_empty() {
            return Err(format!(
                "sasl.jaas.config: expected an option name or ';' at offset {at}"
            ));
        }
        p.skip_blank()?;
        if p.peek() != Some('=') {
            // `key` may be a piece of an unquoted value: not repeated.
            return Err(format!(
                "sasl.jaas.config: expected '=' after the option name at offset {at}"
            ));
        }
        p.pos += 1;
        p.skip_blank()?;
        let value = p.value(key)?;
        if options.iter().any(|(k, _)| k == key) {
            return Err(format!("sasl.jaas.config: option `{key}` is given twice"));
        }
        options.push((key.to_owned(), value));
    }
    p.skip_blank()?;
    if p.pos < config.len() {
        return Err(format!(
            "sasl.jaas.config must hold exactly one login module entry (text follows ';' at \
             offset {})",
            p.pos
        ));
    }
    Ok(JaasLogin { module, options })
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Skips blanks and comments.
    fn skip_blank(&mut self) -> Result<(), String> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(comment) = trimmed.strip_prefix("/*") {
                let end = comment.find("*/").ok_or_else(|| {
                    format!(
                        "sasl.jaas.config: unterminated comment at offset {}",
                        self.pos
                    )
                })?;
                self.pos += end + 4;
            } else {
                return Ok(());
            }
        }
    }

    /// A run of letters, digits and `_ . $ -` (class names, flags, option names).
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || "_.$-".contains(c)))
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// An option's value, quoted or not.
    fn value(&mut self, key: &str) -> Result<String, String> {
        let rest = self.rest();
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, '"')) => {}
            Some((_, '\'')) => {
                return Err(format!(
                    "sasl.jaas.config: option `{key}` is single-quoted: use double quotes"
                ))
            }
            _ => {
                let len = rest
                    .find(|c: char| c.is_whitespace() || c == ';' || c == '"')
                    .unwrap_or(rest.len());
                if len == 0 {
                    return Err(format!("sasl.jaas.config: option `{key}` has no value"));
                }
                self.pos += len;
                return Ok(rest[..len].to_owned());
            }
        }
        let mut out = String::new();
        let unterminated =
            || format!("sasl.jaas.config: the value of option `{key}` has no closing quote");
        loop {
            let (i, c) = chars.next().ok_or_else(unterminated)?;
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let (_, e) = chars.next().ok_or_else(unterminated)?;
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'a' => '\u{7}',
                        'v' => '\u{b}',
                        '0'..='7' => {
                            let mut code = e as u32 - '0' as u32;
                            let max_digits = if e <= '3' { 3 } else { 2 };
                            for _ in 1..max_digits {
                                let mut look = chars.clone();
                                match look.next() {
                                    Some((_, d @ '0'..='7')) => {
                                        code = code * 8 + (d as u32 - '0' as u32);
                                        chars = look;
                                    }
                                    _ => break,
                                }
                            }
                            char::from_u32(code).unwrap_or('?')
                        }
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::printable;
    use super::*;

    const PLAIN: &str = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="al1ce-s3cret";"#;

    #[test]
    fn jaas_plain_scram_oauth() {
        let l = parse_jaas(PLAIN).unwrap();
        assert_eq!(l.module, JaasModule::Plain);
        assert_eq!(l.username(), Some("alice"));
        assert_eq!(l.password(), Some(Password::from("al1ce-s3cret")));

        let l = parse_jaas(
            "  org.apache.kafka.common.security.scram.ScramLoginModule  REQUIRED\n\
             \tusername = \"bob\"\n password=\"p\\\"w\\\\d\" ;  ",
        )
        .unwrap();
        assert_eq!(l.module, JaasModule::Scram);
        assert_eq!(l.username(), Some("bob"));
        assert_eq!(l.password().unwrap().expose(), "p\"w\\d");

        let l = parse_jaas(
            r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice" unsecuredLoginLifetimeSeconds="60" unsecuredLoginListClaim_scope=",read,write";"#,
        )
        .unwrap();
        assert_eq!(l.module, JaasModule::OAuthBearer);
        assert_eq!(l.option("unsecuredLoginStringClaim_sub"), Some("alice"));
        assert_eq!(l.username(), None);
        assert_eq!(l.password(), None);
    }

    #[test]
    fn jaas_flags_unquoted_escapes_comments() {
        for flag in [
            "required",
            "requisite",
            "sufficient",
            "optional",
            "Optional",
        ] {
            let c = format!("org.apache.kafka.common.security.plain.PlainLoginModule {flag};");
            let l = parse_jaas(&c).unwrap();
            assert!(l.options.is_empty());
        }
        let l = parse_jaas(
            "/* lead */ org.apache.kafka.common.security.plain.PlainLoginModule required // x\n\
             username=alice password=p@ss=w0rd!\n\
             octal=\"\\101\\1010\\7x\" esc=\"\\n\\t\\q\" empty=\"\";",
        )
        .unwrap();
        assert_eq!(l.username(), Some("alice"));
        assert_eq!(l.password().unwrap().expose(), "p@ss=w0rd!");
        assert_eq!(l.option("octal"), Some("AA0\u{7}x"));
        assert_eq!(l.option("esc"), Some("\n\tq"));
        assert_eq!(l.option("empty"), Some(""));
        // Unquoted value right before ';'.
        let l = parse_jaas(
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=u;",
        )
        .unwrap();
        assert_eq!(l.username(), Some("u"));
    }

    /// Every error names the problem but never the password or the config.
    #[test]
    fn jaas_errors_hide_secrets() {
        let secret = "Hunter2-Secret";
        let m = "org.apache.kafka.common.security.plain.PlainLoginModule";
        let cases = [
            (
                format!(r#"{m} required username="u" password="{secret}""#),
                "not terminated",
            ),
            (
                format!(r#"{m} required username="u" password="{secret}"#),
                "closing quote",
            ),
            (
                format!(r#"{m} required username="u" password={secret} x;"#),
                "'='",
            ),
            (
                format!(r#"{m} required username="u" password="{secret} "x";"#),
                "'='",
            ),
            (
                format!(r#"{m} required username="u" password='{secret}';"#),
                "double quotes",
            ),
            (
                format!(r#"{m} required password="{secret}" password="{secret}";"#),
                "twice",
            ),
            (format!(r#"{m} required password=;"#), "no value"),
            (format!(r#"{m} password="{secret}";"#), "control flag"),
            (
                format!(r#"{m} required password="{secret}"; {m} required;"#),
                "exactly one",
            ),
            (
                format!(r#"{secret} required password="{secret}";"#),
                "not one of",
            ),
            (
                format!(r#"com.example.Module required password="{secret}";"#),
                "com.example.Module",
            ),
            (format!(r#"/* {secret} "#), "unterminated comment"),
            (format!(r#"="{secret}";"#), "class name"),
            (format!(r#"{m} required ="{secret}";"#), "option name"),
        ];
        for (config, want) in &cases {
            let e = parse_jaas(config).unwrap_err();
            assert!(e.contains(want), "{config}: {e}");
            assert!(!e.contains(secret), "{e}");
            assert!(!e.contains(config.as_str()), "{e}");
        }
        let l = parse_jaas(PLAIN).unwrap();
        let debug = format!("{l:?}");
        assert!(!debug.contains("al1ce-s3cret"), "{debug}");
        assert!(debug.contains("alice"), "{debug}");
        // The credentials made from it hide it too.
        let creds = l.credentials(SaslMechanism::Plain).unwrap();
        let debug = format!("{creds:?}");
        assert!(!debug.contains("al1ce-s3cret"), "{debug}");
        assert!(!printable(debug.as_bytes(), 1000).contains("al1ce-s3cret"));
    }

    #[test]
    fn jaas_credentials_match_mechanism() {
        let l = parse_jaas(PLAIN).unwrap();
        let c = l.credentials(SaslMechanism::Plain).unwrap();
        assert_eq!(c.username, "alice");
        assert_eq!(c.password.expose(), "al1ce-s3cret");
        assert!(c.token_provider.is_none());
        let e = l.credentials(SaslMechanism::ScramSha256).unwrap_err();
        assert!(
            e.contains("PlainLoginModule") && e.contains("SCRAM-SHA-256"),
            "{e}"
        );
        assert!(l.credentials(SaslMechanism::OAuthBearer).is_err());

        let scram = "org.apache.kafka.common.security.scram.ScramLoginModule required \
                     username=\"u\" password=\"p\";";
        let l = parse_jaas(scram).unwrap();
        assert!(l.credentials(SaslMechanism::ScramSha512).is_ok());
        assert!(l.credentials(SaslMechanism::Plain).is_err());
        let l = parse_jaas(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\";",
        )
        .unwrap();
        assert!(l
            .credentials(SaslMechanism::ScramSha256)
            .unwrap_err()
            .contains("password"));
        let l = parse_jaas(
            "org.apache.kafka.common.security.scram.ScramLoginModule required \
             username=\"u\" password=\"p\" tokenauth=\"true\";",
        )
        .unwrap();
        assert!(l
            .credentials(SaslMechanism::ScramSha256)
            .unwrap_err()
            .contains("tokenauth"));
    }

    #[test]
    fn jaas_oauthbearer_unsecured_provider() {
        let l = parse_jaas(
            r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required
               unsecuredLoginStringClaim_sub="alice" unsecuredLoginLifetimeSeconds="60"
               unsecuredLoginListClaim_scope=",read,,write" unsecuredLoginNumberClaim_n="2"
               unsecuredLoginStringClaim_iss="me" unsecuredLoginExtension_traceId="t1"
               unsecuredLoginPrincipalClaimName="sub" somethingElse="ignored";"#,
        )
        .unwrap();
        let c = l.credentials(SaslMechanism::OAuthBearer).unwrap();
        let now = std::time::UNIX_EPOCH + Duration::from_secs(100);
        let provider = l.unsecured_token_provider().unwrap();
        let t = provider.token_at(now).unwrap();
        let payload = t.token.expose().split('.').nth(1).unwrap().to_owned();
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        assert_eq!(
            String::from_utf8(payload).unwrap(),
            r#"{"sub":"alice","iat":100,"exp":160,"scope":["read","write"],"n":2,"iss":"me"}"#
        );
        assert_eq!(t.extensions, vec![("traceId".into(), "t1".into())]);
        let t = c.token_provider.unwrap().token().unwrap();
        assert_eq!(t.principal, "alice");

        let oauth = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required";
        for (opts, want) in [
            ("", "unsecuredLoginStringClaim_sub"),
            (
                " unsecuredLoginStringClaim_sub=a unsecuredLoginLifetimeSeconds=0",
                "positive",
            ),
            (
                " unsecuredLoginStringClaim_sub=a unsecuredLoginNumberClaim_x=y",
                "number",
            ),
            (
                " unsecuredLoginStringClaim_sub=a unsecuredLoginFoo=y",
                "not supported",
            ),
            (
                " unsecuredLoginStringClaim_sub=a unsecuredLoginScopeClaimName=s",
                "not supported",
            ),
        ] {
            let l = parse_jaas(&format!("{oauth}{opts};")).unwrap();
            let e = l.unsecured_token_provider().unwrap_err();
            assert!(e.contains(want), "{opts}: {e}");
        }
        assert_eq!(split_list(""), Vec::<String>::new());
        assert_eq!(split_list("|a|b"), vec!["a", "b"]);
        assert_eq!(split_list(" a b"), vec!["a", "b"]);
    }
}
