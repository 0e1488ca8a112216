//! The `ssh` command line, read the way OpenSSH reads it: `[user@]host`, `-l`, `-p`, `-c`, `-m`,
//! `-i`, `-t`/`-T`, `-N`, the forwarding flags `-L`, `-R`, `-D`, `-W`, `-J` (read in
//! [`super::forward::spec`]) and `-o Option=value` (or `-o "Option value"`; names case-insensitive;
//! the first value given for an option wins, as in ssh_config).

use super::forward::spec::{self, DynamicForward, JumpHost, PortForward, Target};
use crate::algs::{AlgorithmSpecs, ListSpec};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `ssh`.
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// User to log in as (overrides user@ in the destination).
    #[arg(short = 'l', value_name = "LOGIN")]
    pub login: Option<String>,
    /// Port to connect to.
    #[arg(short = 'p', value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Cipher(s), comma-separated (like IOS `ssh -c aes256-ctr`); replaces the cipher list.
    #[arg(short = 'c', value_name = "CIPHER")]
    pub cipher: Option<String>,
    /// MAC(s), comma-separated (like IOS `ssh -m hmac-sha1-96`); replaces the MAC list.
    #[arg(short = 'm', value_name = "MAC")]
    pub mac: Option<String>,
    /// Private key file for public key authentication (may be repeated; OpenSSH or PEM).
    #[arg(short = 'i', value_name = "IDENTITY_FILE")]
    pub identity: Vec<PathBuf>,
    /// Force a pseudo-terminal (twice: even when standard input is not a terminal).
    #[arg(short = 't', action = clap::ArgAction::Count, conflicts_with = "no_tty")]
    pub tty: u8,
    /// No pseudo-terminal.
    #[arg(short = 'T')]
    pub no_tty: bool,
    /// No remote command: keep the connection open (forwarding, benchmarks).
    #[arg(short = 'N')]
    pub no_command: bool,
    /// Quiet: no warnings or banners.
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Local forwarding `[bind_address:]port:host:hostport` (repeatable): connections to the
    /// local port go to host:hostport from the server.
    #[arg(short = 'L', value_name = "SPEC")]
    pub local_forward: Vec<String>,
    /// Remote forwarding `[bind_address:]port:host:hostport` (repeatable): the server listens
    /// (port 0: a port it chooses, printed) and its connections come to host:hostport from here.
    #[arg(short = 'R', value_name = "SPEC")]
    pub remote_forward: Vec<String>,
    /// Dynamic forwarding `[bind_address:]port` (repeatable): a local SOCKS5/SOCKS4 proxy whose
    /// connections are made from the server.
    #[arg(short = 'D', value_name = "SPEC")]
    pub dynamic_forward: Vec<String>,
    /// Jump hosts `[user@]host[:port][,...]`: connect through each in turn (ProxyJump).
    #[arg(short = 'J', value_name = "DESTINATION")]
    pub jump: Option<String>,
    /// Forward standard input and output to host:port through the server (no session).
    #[arg(short = 'W', value_name = "HOST:PORT")]
    pub stdio_forward: Option<String>,
    /// Option=value, as in ssh_config (KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms,
    /// StrictHostKeyChecking, UserKnownHostsFile, BatchMode, Port, User, ConnectTimeout,
    /// IdentityFile, CertificateFile, PreferredAuthentications, PasswordAuthentication,
    /// PubkeyAuthentication, KbdInteractiveAuthentication, NumberOfPasswordPrompts, RequestTTY,
    /// RekeyLimit,
    /// LocalForward, RemoteForward, DynamicForward, ProxyJump, ExitOnForwardFailure,
    /// GatewayPorts).
    #[arg(short = 'o', value_name = "OPTION")]
    pub options: Vec<String>,
    /// X.509 certificate chain (PEM, the certificate of the `-i` key first, then its CAs): log in
    /// with RFC 6187 `x509v3-*` public key authentication.
    #[arg(long = "cert", value_name = "CHAIN_PEM", requires = "identity")]
    pub cert: Option<PathBuf>,
    /// PKCS#12 file (`.p12`/`.pfx`) with the key and its certificate chain; the passphrase comes
    /// from `SSHGATE_PKCS12_PASS` or the terminal.
    #[arg(long, value_name = "FILE", conflicts_with = "cert")]
    pub pkcs12: Option<PathBuf>,
    /// CA certificates (PEM, repeatable) trusted to sign servers' X.509 host certificates.
    #[arg(long = "ca-file", value_name = "CA_PEM")]
    pub ca_file: Vec<PathBuf>,
    /// CRLs (PEM or DER, repeatable) to check servers' certificate chains against (IOS
    /// `revocation-check crl`); a certificate they revoke, or one whose status they cannot
    /// establish, is refused.
    #[arg(long = "crl-file", value_name = "CRL", requires = "ca_file")]
    pub crl_file: Vec<PathBuf>,
    /// Log in as the common name of the `--cert`/`--pkcs12` certificate (replaces any other
    /// login name).
    #[arg(long = "user-from-cert")]
    pub user_from_cert: bool,
    /// Verbose: print debug lines to stderr (may be repeated).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// [user@]host, or ssh://[user@]host[:port].
    pub destination: String,
    /// Remote command; without one, an interactive shell.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Whether to ask for a pseudo-terminal (OpenSSH `RequestTTY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTty {
    /// For a shell when standard input is a terminal (the default).
    Auto,
    /// Never (`-T`).
    No,
    /// When standard input is a terminal, even for a command (`-t`).
    Yes,
    /// Always (`-tt`).
    Force,
}

/// Options that may be given more than once, every value kept (as in ssh_config).
const ACCUMULATE: [&str; 5] = [
    "identityfile",
    "certificatefile",
    "localforward",
    "remoteforward",
    "dynamicforward",
];

/// A user-authentication method the client knows, in OpenSSH's default order.
pub const AUTH_METHODS: [&str; 3] = ["publickey", "keyboard-interactive", "password"];

/// OpenSSH's default identity files, in the order it tries them (`~/.ssh/id_*`).
const DEFAULT_IDENTITIES: [&str; 3] = ["~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519"];

/// What to do with a host key not (yet) in known_hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrictMode {
    /// Refuse unknown keys (OpenSSH `yes`; IOS `ip ssh stricthostkeycheck`): the default.
    Yes,
    /// Ask the person at the terminal; refuse when nobody can answer.
    Ask,
    /// Add unknown keys, refuse changed ones.
    AcceptNew,
    /// Accept any key.
    No,
}

/// The `ssh` command's settings, after option processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// Host name or address to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Login name, if given (used once user authentication lands).
    pub user: Option<String>,
    /// Algorithm list overrides.
    pub algorithms: AlgorithmSpecs,
    /// Host key checking.
    pub strict: StrictMode,
    /// `-L` / `LocalForward`.
    pub local_forwards: Vec<PortForward>,
    /// `-R` / `RemoteForward`.
    pub remote_forwards: Vec<PortForward>,
    /// `-D` / `DynamicForward`.
    pub dynamic_forwards: Vec<DynamicForward>,
    /// `-J` / `ProxyJump`: the hops before `host`, in order.
    pub jump: Vec<JumpHost>,
    /// `-W host:port`.
    pub stdio_forward: Option<Target>,
    /// `ExitOnForwardFailure`: a forward that cannot be set up ends the connection.
    pub exit_on_forward_failure: bool,
    /// `GatewayPorts`: local listeners without a bind address listen on every interface.
    pub gateway_ports: bool,
    /// known_hosts file; `None` means `~/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// Never prompt: no passwords, passphrases or answers are asked for.
    pub batch_mode: bool,
    /// Identity files, `-i` first, then `-o IdentityFile`; OpenSSH's defaults if none.
    pub identities: Vec<PathBuf>,
    /// Whether `-i`/`IdentityFile` named the identities (a missing default file is no error).
    pub identities_given: bool,
    /// `-o CertificateFile`: OpenSSH certificates, offered with the identity they certify
    /// (`KEY-cert.pub` beside an identity is picked up without it).
    pub certificate_files: Vec<PathBuf>,
    /// Methods to try, in order (PreferredAuthentications minus the disabled ones).
    pub methods: Vec<String>,
    /// Password and keyboard-interactive attempts (OpenSSH `NumberOfPasswordPrompts`, 3).
    pub password_prompts: u32,
    /// Pseudo-terminal request.
    pub request_tty: RequestTty,
    /// `-N`: no session at all.
    pub no_command: bool,
    /// `-q`.
    pub quiet: bool,
    /// Re-key after this many bytes (`RekeyLimit`), if given.
    pub rekey_bytes: Option<u64>,
    /// TCP connect timeout, seconds.
    pub connect_timeout: Option<u64>,
    /// `-v` count.
    pub verbose: u8,
    /// `--cert`: the certificate chain of the first `-i` key.
    pub cert: Option<PathBuf>,
    /// `--pkcs12`: a key and certificate chain.
    pub pkcs12: Option<PathBuf>,
    /// `--ca-file`: CAs for servers' host certificates.
    pub ca_files: Vec<PathBuf>,
    /// `--crl-file`: CRLs for servers' certificate chains.
    pub crl_files: Vec<PathBuf>,
    /// `--user-from-cert`.
    pub user_from_cert: bool,
    /// Remote command words.
    pub command: Vec<String>,
}

impl ClientSettings {
    /// Applies the command line.
    pub fn from_args(a: &SshArgs) -> Result<Self, String> {
        let (dest_user, host, dest_port) = parse_destination(&a.destination)?;
        let mut s = ClientSettings {
            host,
            port: 22,
            user: None,
            algorithms: AlgorithmSpecs::default(),
            strict: StrictMode::Yes,
            known_hosts: None,
            batch_mode: false,
            identities: a.identity.clone(),
            identities_given: !a.identity.is_empty(),
            certificate_files: Vec::new(),
            methods: AUTH_METHODS.map(String::from).to_vec(),
            password_prompts: 3,
            request_tty: match (a.no_tty, a.tty) {
                (true, _) => RequestTty::No,
                (false, 0) => RequestTty::Auto,
                (false, 1) => RequestTty::Yes,
                (false, _) => RequestTty::Force,
            },
            no_command: a.no_command,
            quiet: a.quiet,
            local_forwards: Vec::new(),
            remote_forwards: Vec::new(),
            dynamic_forwards: Vec::new(),
            jump: Vec::new(),
            stdio_forward: None,
            exit_on_forward_failure: false,
            gateway_ports: false,
            rekey_bytes: None,
            connect_timeout: None,
            verbose: a.verbose,
            command: a.command.clone(),
            cert: a.cert.clone(),
            pkcs12: a.pkcs12.clone(),
            ca_files: a.ca_file.clone(),
            crl_files: a.crl_file.clone(),
            user_from_cert: a.user_from_cert,
        };
        if a.user_from_cert && a.cert.is_none() && a.pkcs12.is_none() {
            return Err("--user-from-cert needs --cert or --pkcs12".into());
        }
        for l in &a.local_forward {
            s.local_forwards.push(spec::parse_port_forward(l, 'L')?);
        }
        for r in &a.remote_forward {
            s.remote_forwards.push(spec::parse_port_forward(r, 'R')?);
        }
        for d in &a.dynamic_forward {
            s.dynamic_forwards.push(spec::parse_dynamic(d)?);
        }
        let mut jump = a.jump.as_deref().map(spec::parse_jump).transpose()?;
        s.stdio_forward = a
            .stdio_forward
            .as_deref()
            .map(spec::parse_stdio)
            .transpose()?;
        let mut seen = Vec::new();
        let (mut port, mut user) = (None, None);
        let mut disabled: Vec<&str> = Vec::new();
        for opt in &a.options {
            let (key, value) = split_option(opt)?;
            let key = key.to_ascii_lowercase();
            // The first obtained value wins, except for lists that accumulate.
            if seen.contains(&key) && !ACCUMULATE.contains(&key.as_str()) {
                continue;
            }
            seen.push(key.clone());
            let list = || ListSpec::parse(value).map_err(|e| format!("{opt}: {e}"));
            match key.as_str() {
                "kexalgorithms" => s.algorithms.kex = Some(list()?),
                "hostkeyalgorithms" => s.algorithms.host_key = Some(list()?),
                "ciphers" => s.algorithms.cipher = Some(list()?),
                "macs" => s.algorithms.mac = Some(list()?),
                "stricthostkeychecking" => s.strict = parse_strict(value)?,
                "userknownhostsfile" => s.known_hosts = Some(expand_tilde(value)),
                "batchmode" => s.batch_mode = parse_yes_no(value, opt)?,
                "port" => port = Some(parse_port(value)?),
                "user" => user = Some(value.to_string()),
                "identityfile" => {
                    s.identities.push(expand_tilde(value));
                    s.identities_given = true;
                }
                "certificatefile" => s.certificate_files.push(expand_tilde(value)),
                "preferredauthentications" => {
                    let v: Vec<String> = value.split(',').map(|m| m.trim().to_string()).collect();
                    s.methods = v
                        .into_iter()
                        .filter(|m| AUTH_METHODS.contains(&m.as_str()))
                        .collect();
                }
                "pubkeyauthentication" if !parse_yes_no(value, opt)? => disabled.push("publickey"),
                "passwordauthentication" if !parse_yes_no(value, opt)? => disabled.push("password"),
                "kbdinteractiveauthentication" | "challengeresponseauthentication"
                    if !parse_yes_no(value, opt)? =>
                {
                    disabled.push("keyboard-interactive");
                }
                "pubkeyauthentication"
                | "passwordauthentication"
                | "kbdinteractiveauthentication"
                | "challengeresponseauthentication" => {}
                "numberofpasswordprompts" => {
                    s.password_prompts = value
                        .parse()
                        .map_err(|_| format!("invalid NumberOfPasswordPrompts {value:?}"))?;
                }
                "requesttty" if a.tty == 0 && !a.no_tty => {
                    s.request_tty = match value.to_ascii_lowercase().as_str() {
                        "auto" => RequestTty::Auto,
                        "no" => RequestTty::No,
                        "yes" => RequestTty::Yes,
                        "force" => RequestTty::Force,
                        _ => return Err(format!("unsupported RequestTTY value {value:?}")),
                    };
                }
                "requesttty" => {}
                "rekeylimit" => s.rekey_bytes = parse_size(value)?,
                "localforward" => s.local_forwards.push(spec::parse_port_forward(value, 'L')?),
                "remoteforward" => s
                    .remote_forwards
                    .push(spec::parse_port_forward(value, 'R')?),
                "dynamicforward" => s.dynamic_forwards.push(spec::parse_dynamic(value)?),
                "proxyjump" if jump.is_none() => jump = Some(spec::parse_jump(value)?),
                "proxyjump" => {}
                "exitonforwardfailure" => s.exit_on_forward_failure = parse_yes_no(value, opt)?,
                "gatewayports" => s.gateway_ports = parse_yes_no(value, opt)?,
                // Accepted as OpenSSH's scripts pass them; nothing here needs them (no agent,
                // no global file, one log level).
                "identitiesonly" | "identityagent" | "globalknownhostsfile" | "loglevel" => {}
                "connecttimeout" => {
                    let t = value
                        .parse()
                        .map_err(|_| format!("invalid ConnectTimeout {value:?}"))?;
                    s.connect_timeout = (t > 0).then_some(t);
                }
                _ => return Err(format!("Bad configuration option: {key}")),
            }
        }
        // -c / -m replace the lists whatever -o said.
        if let Some(c) = &a.cipher {
            s.algorithms.cipher = Some(ListSpec::Replace(plain_list(c)?));
        }
        if let Some(m) = &a.mac {
            s.algorithms.mac = Some(ListSpec::Replace(plain_list(m)?));
        }
        s.methods.retain(|m| !disabled.contains(&m.as_str()));
        s.jump = jump.unwrap_or_default();
        if !s.identities_given {
            s.identities = DEFAULT_IDENTITIES.iter().map(|p| expand_tilde(p)).collect();
        }
        s.port = a.port.or(dest_port).or(port).unwrap_or(22);
        s.user = a.login.clone().or(dest_user).or(user);
        Ok(s)
    }

    /// The login name: `-l`, `user@`, `-o User`, else the local user (as OpenSSH).
    #[must_use]
    pub fn login_name(&self) -> String {
        self.user
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "root".into())
    }

    /// Name of the host in known_hosts: `host`, or `[host]:port` off port 22.
    #[must_use]
    pub fn known_hosts_name(&self) -> String {
        if self.port == 22 {
            self.host.clone()
        } else {
            format!("[{}]:{}", self.host, self.port)
        }
    }

    /// The known_hosts file to use.
    #[must_use]
    pub fn known_hosts_path(&self) -> PathBuf {
        self.known_hosts
            .clone()
            .unwrap_or_else(|| expand_tilde("~/.ssh/known_hosts"))
    }
}

/// `Key=value`, `Key value` or `Key = value`.
fn split_option(opt: &str) -> Result<(&str, &str), String> {
    let opt = opt.trim();
    let at = opt
        .find(|c: char| c == '=' || c.is_whitespace())
        .ok_or_else(|| format!("no argument after keyword {opt:?}"))?;
    let key = &opt[..at];
    let value = opt[at..].trim_start_matches(|c: char| c == '=' || c.is_whitespace());
    if key.is_empty() || value.is_empty() {
        return Err(format!("missing argument in option {opt:?}"));
    }
    Ok((key, value.trim_end()))
}

/// `-c`/`-m` take names only (no `+`/`-`/`^`).
fn plain_list(v: &str) -> Result<Vec<String>, String> {
    match ListSpec::parse(v)? {
        ListSpec::Replace(names) => Ok(names),
        _ => Err(format!("{v:?}: list modifiers are for -o options")),
    }
}

fn parse_strict(v: &str) -> Result<StrictMode, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(StrictMode::Yes),
        "ask" => Ok(StrictMode::Ask),
        "accept-new" => Ok(StrictMode::AcceptNew),
        "no" | "off" => Ok(StrictMode::No),
        _ => Err(format!("unsupported StrictHostKeyChecking value {v:?}")),
    }
}

fn parse_yes_no(v: &str, opt: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("{opt}: expected yes or no")),
    }
}

/// `RekeyLimit`'s first field: bytes with an optional K, M or G suffix (powers of 1024);
/// `default` and `none` leave the engine's limit.
fn parse_size(v: &str) -> Result<Option<u64>, String> {
    let first = v.split_whitespace().next().unwrap_or("");
    if first == "default" || first == "none" {
        return Ok(None);
    }
    let bad = || format!("invalid RekeyLimit {v:?}");
    let (digits, shift) = match first.chars().last() {
        Some('K' | 'k') => (&first[..first.len() - 1], 10),
        Some('M' | 'm') => (&first[..first.len() - 1], 20),
        Some('G' | 'g') => (&first[..first.len() - 1], 30),
        _ => (first, 0),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    // OpenSSH refuses limits under 16 bytes.
    let bytes = n
        .checked_shl(shift)
        .filter(|b| *b >> shift == n)
        .ok_or_else(bad)?;
    if bytes < 16 {
        return Err(bad());
    }
    Ok(Some(bytes))
}

fn parse_port(v: &str) -> Result<u16, String> {
    v.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("Bad port '{v}'"))
}

/// `[user@]host` or `ssh://[user@]host[:port]`; IPv6 literals may be bracketed.
fn parse_destination(d: &str) -> Result<(Option<String>, String, Option<u16>), String> {
    let (uri, rest) = match d.strip_prefix("ssh://") {
        Some(r) => (true, r.trim_end_matches('/')),
        None => (false, d),
    };
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some(_) => return Err(format!("invalid destination {d:?}")),
        None => (None, rest),
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (h, after) = inner
            .split_once(']')
            .ok_or_else(|| format!("invalid destination {d:?}"))?;
        match after.strip_prefix(':') {
            Some(p) if uri => (h, Some(parse_port(p)?)),
            None if after.is_empty() => (h, None),
            _ => return Err(format!("invalid destination {d:?}")),
        }
    } else if uri && hostport.matches(':').count() == 1 {
        let (h, p) = hostport.split_once(':').expect("one colon");
        (h, Some(parse_port(p)?))
    } else {
        (hostport, None)
    };
    if host.is_empty() {
        return Err(format!("invalid destination {d:?}"));
    }
    Ok((user, host.to_string(), port))
}

fn expand_tilde(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None => PathBuf::from(p),
    }
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
