//! The built-in device CLI: a pure, synchronous IOS-like line interpreter (no I/O).
//!
//! Commands take IOS unique-prefix abbreviations (`sh ip ssh`, `show u`). Output lines end in
//! `\r\n`. `show ssh` prints each field as IOS's `printf("%-Ns ")` does, so a value one
//! character longer than its field (`hmac-sha2-256` in the 12-wide Hmac field) shifts the rest
//! of its row by one exactly as real IOS output does; a value longer than that (OpenSSH names
//! such as `chacha20-poly1305@openssh.com`) widens its column, header included, so rows stay
//! lined up. For an AEAD cipher (no separate MAC) the Hmac column shows the cipher's name, as
//! IOS does for `aes256-gcm`: see [`mac_display`].

use std::sync::Arc;

pub use super::device_state::{ConnectionRow, DeviceState, SshSettings, UserLine};

/// The `ssh` command's arguments (IOS names for ciphers and MACs).
#[path = "device_cli_ssh.rs"]
pub mod ssh;
pub use ssh::SshRequest;

/// Who the CLI serves.
#[derive(Clone)]
pub struct CliContext {
    /// Device name, for the prompt.
    pub hostname: String,
    /// IOS privilege level: 15 gives the `#` prompt.
    pub privilege: u8,
    /// This session's line number, marked `*` in `show users`.
    pub line_number: u32,
    /// Snapshot provider.
    pub state: Arc<dyn DeviceState>,
}

/// The result of one line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CliOutput {
    /// Text to send (lines end in `\r\n`), without the next prompt.
    pub text: String,
    /// The session should end.
    pub exit: bool,
}

/// The Hmac column for a cipher and its negotiated MAC: the MAC, or for an AEAD cipher
/// (`mac` is `None`) the cipher's name.
#[must_use]
pub fn mac_display(cipher: &str, mac: Option<&str>) -> String {
    mac.unwrap_or(cipher).to_owned()
}

/// A command tree node: name, help, children (none = a complete command).
struct Node {
    name: &'static str,
    help: &'static str,
    children: &'static [Node],
}

/// A child marking its parent as complete though it has options (IOS `<cr>` in `?` help).
const CR: &str = "<cr>";

/// `debug ip ssh [detail|packet]`, and the same after `undebug` / `no debug`.
const DEBUG_IP: &[Node] = &[DEBUG_IP_NODE];

const DEBUG_IP_NODE: Node = Node {
    name: "ip",
    help: "IP information",
    children: &[Node {
        name: "ssh",
        help: "Incoming ssh connections",
        children: &[
            Node {
                name: CR,
                help: "",
                children: &[],
            },
            Node {
                name: "detail",
                help: "SSH Protocol and Channel Requests",
                children: &[],
            },
            Node {
                name: "packet",
                help: "SSH Packet debugging",
                children: &[],
            },
        ],
    }],
};

const UNDEBUG: &[Node] = &[
    Node {
        name: "all",
        help: "Disable all debugging",
        children: &[],
    },
    DEBUG_IP_NODE,
];

const SHOW: &[Node] = &[
    Node {
        name: "debugging",
        help: "State of each debugging option",
        children: &[],
    },
    Node {
        name: "ip",
        help: "IP information",
        children: &[Node {
            name: "ssh",
            help: "Information on SSH",
            children: &[],
        }],
    },
    Node {
        name: "sessions",
        help: "Information about Telnet connections",
        children: &[],
    },
    Node {
        name: "ssh",
        help: "Status of SSH server connections",
        children: &[],
    },
    Node {
        name: "users",
        help: "Display information about terminal lines",
        children: &[],
    },
];

/// `terminal length|width <0-512>`: accepted (automation tools send them first) and kept;
/// the CLI does not page.
const TERMINAL: &[Node] = &[
    Node {
        name: "length",
        help: "Set number of lines on a screen",
        children: &[Node {
            name: "<0-512>",
            help: "Number of lines on screen (0 for no pausing)",
            children: &[],
        }],
    },
    Node {
        name: "width",
        help: "Set width of the display terminal",
        children: &[Node {
            name: "<0-512>",
            help: "Number of characters on a screen line",
            children: &[],
        }],
    },
];

/// `ssh ?`: the options (the words themselves are read by [`ssh::parse`]).
const SSH_OPTIONS: &[Node] = &[
    Node {
        name: "-c",
        help: "Select encryption algorithm",
        children: &[],
    },
    Node {
        name: "-l",
        help: "Log in using this user name",
        children: &[],
    },
    Node {
        name: "-m",
        help: "Select HMAC algorithm",
        children: &[],
    },
    Node {
        name: "-o",
        help: "Specify options",
        children: &[],
    },
    Node {
        name: "-p",
        help: "Connect to this port",
        children: &[],
    },
    Node {
        name: "-v",
        help: "Specify SSH Protocol Version",
        children: &[],
    },
    Node {
        name: "WORD",
        help: "IP address or hostname of a remote system",
        children: &[],
    },
];

/// `disconnect ssh <n>` (IOS `disconnect ssh [vty] session-id`).
const DISCONNECT: &[Node] = &[Node {
    name: "ssh",
    help: "Disconnect an active SSH connection",
    children: &[Node {
        name: "<0-2147483647>",
        help: "SSH connection number",
        children: &[],
    }],
}];

/// Commands only privilege 15 has (IOS privileged EXEC): debugging, connecting out from the
/// device (IOS: `transport output ssh` is a line setting an administrator grants; here
/// privilege 15 is the grant) and closing other users' connections.
const PRIVILEGED: [&str; 5] = ["debug", "disconnect", "no", "ssh", "undebug"];

const TOP: &[Node] = &[
    Node {
        name: "debug",
        help: "Debugging functions (see also 'undebug')",
        children: DEBUG_IP,
    },
    Node {
        name: "disconnect",
        help: "Disconnect an existing network connection",
        children: DISCONNECT,
    },
    Node {
        name: "no",
        help: "Disable debugging functions",
        children: &[Node {
            name: "debug",
            help: "Disable debugging functions",
            children: UNDEBUG,
        }],
    },
    Node {
        name: "undebug",
        help: "Disable debugging functions (see also 'debug')",
        children: UNDEBUG,
    },
    Node {
        name: "exit",
        help: "Exit from the EXEC",
        children: &[],
    },
    Node {
        name: "logout",
        help: "Exit from the EXEC",
        children: &[],
    },
    Node {
        name: "quit",
        help: "Exit from the EXEC",
        children: &[],
    },
    Node {
        name: "show",
        help: "Show running system information",
        children: SHOW,
    },
    Node {
        name: "ssh",
        help: "Open a secure shell client connection",
        children: SSH_OPTIONS,
    },
    Node {
        name: "terminal",
        help: "Set terminal line parameters",
        children: TERMINAL,
    },
];

const INVALID: &str = "% Invalid input detected at '^' marker.\r\n";

/// The interpreter for one session.
pub struct DeviceCli {
    ctx: CliContext,
    /// `terminal length` (24 by default, 0 = no paging) and `terminal width` (80).
    terminal: (u32, u32),
    /// An `ssh` command the session is to run (taken by [`DeviceCli::take_outbound`]).
    outbound: Option<SshRequest>,
}

/// A parse outcome.
enum Parsed {
    Command(Vec<&'static str>, Vec<u32>),
    /// A command that reads the rest of the line itself (`ssh`), from this byte offset.
    Rest(Vec<&'static str>, usize),
    Help(&'static [Node], String),
    Invalid(usize),
    Ambiguous(usize),
    Incomplete,
    Empty,
}

impl DeviceCli {
    /// A CLI for `ctx`.
    #[must_use]
    pub fn new(ctx: CliContext) -> Self {
        DeviceCli {
            ctx,
            terminal: (24, 80),
            outbound: None,
        }
    }

    /// `router1#` at privilege 15, `router1>` otherwise.
    #[must_use]
    pub fn prompt(&self) -> String {
        let c = if self.ctx.privilege >= 15 { '#' } else { '>' };
        format!("{}{c}", self.ctx.hostname)
    }

    /// Interprets one line typed at the prompt (no line ending).
    pub fn feed_line(&mut self, line: &str) -> CliOutput {
        let offset = self.prompt().len();
        self.run(line, offset, false).0
    }

    /// Exec mode (`ssh user@dev show ssh`): runs one command; exit status 0 on success, 1 for
    /// invalid, ambiguous or incomplete input (the command is echoed above the caret line).
    pub fn run_command(&mut self, line: &str) -> (String, u32) {
        let (out, ok) = self.run(line, 0, true);
        (out.text, u32::from(!ok))
    }

    /// The `ssh` command typed last, once: the session runs it (the line's output, if any,
    /// came with [`DeviceCli::feed_line`]'s result; the prompt waits until it ends).
    pub fn take_outbound(&mut self) -> Option<SshRequest> {
        self.outbound.take()
    }

    /// The user logged in on this line (from the device's session list).
    fn login_name(&self) -> Option<String> {
        let line = self.ctx.line_number;
        self.ctx
            .state
            .users()
            .into_iter()
            .find(|u| u.number == line)
            .map(|u| u.user)
    }

    fn run(&mut self, line: &str, caret_offset: usize, echo: bool) -> (CliOutput, bool) {
        let err = |text: String| (CliOutput { text, exit: false }, false);
        let invalid = |at: usize| {
            let echoed = if echo {
                format!("{line}\r\n")
            } else {
                String::new()
            };
            let col = caret_offset + line[..at].chars().count();
            err(format!("{echoed}{}^\r\n{INVALID}", " ".repeat(col)))
        };
        let mut parsed = parse(line);
        if let Parsed::Command(words, _) | Parsed::Rest(words, _) = &parsed
            && self.ctx.privilege < 15
            && PRIVILEGED.contains(&words[0])
        {
            // As IOS for a command above the user's level: not there at all.
            parsed = Parsed::Invalid(line.len() - line.trim_start().len());
        }
        match parsed {
            Parsed::Empty => (CliOutput::default(), true),
            Parsed::Invalid(at) => invalid(at),
            Parsed::Rest(_, start) => {
                let rest = line[start..].trim();
                if let Some(prefix) = rest.strip_suffix('?')
                    && !prefix.contains(char::is_whitespace)
                {
                    let text = help(SSH_OPTIONS, &prefix.to_ascii_lowercase());
                    return (CliOutput { text, exit: false }, true);
                }
                match ssh::parse(line, start) {
                    Err(ssh::SshParseError::Invalid(at)) => invalid(at),
                    Err(ssh::SshParseError::Incomplete) => {
                        err("% Incomplete command.\r\n\r\n".into())
                    }
                    // One `exec` command has no terminal for the remote session.
                    Ok(_) if echo => err("% ssh needs an interactive session\r\n".into()),
                    Ok(mut req) => {
                        if req.user.is_none() {
                            req.user = self.login_name();
                        }
                        self.outbound = Some(req);
                        (CliOutput::default(), true)
                    }
                }
            }
            Parsed::Ambiguous(end) => err(format!(
                "% Ambiguous command:  \"{}\"\r\n",
                line[..end].trim_start()
            )),
            Parsed::Incomplete => err("% Incomplete command.\r\n\r\n".into()),
            Parsed::Help(nodes, prefix) => (
                CliOutput {
                    text: help(nodes, &prefix),
                    exit: false,
                },
                true,
            ),
            Parsed::Command(words, args) => (self.execute(&words, &args), true),
        }
    }

    fn execute(&mut self, words: &[&str], args: &[u32]) -> CliOutput {
        let state = &self.ctx.state;
        let text = match words {
            ["exit" | "logout" | "quit"] => {
                return CliOutput {
                    text: String::new(),
                    exit: true,
                };
            }
            ["show", "ssh"] => super::device_show::show_ssh(&state.ssh_connections()),
            ["show", "ip", "ssh"] => super::device_show::show_ip_ssh(&state.ssh_settings()),
            ["show", "users"] => {
                super::device_show::show_users(&state.users(), self.ctx.line_number)
            }
            ["show", "sessions"] => "% No connections open\r\n".into(),
            ["disconnect", "ssh", _] => {
                if state.disconnect_ssh(args[0]) {
                    String::new()
                } else {
                    format!("% Invalid SSH connection number {}\r\n", args[0])
                }
            }
            ["show", "debugging"] => super::debug_trace::show_debugging(),
            ["debug", "ip", "ssh", which @ ..] => super::debug_trace::cli_switch(true, which),
            ["undebug", "ip", "ssh", which @ ..] | ["no", "debug", "ip", "ssh", which @ ..] => {
                super::debug_trace::cli_switch(false, which)
            }
            ["undebug", "all"] | ["no", "debug", "all"] => super::debug_trace::cli_undebug_all(),
            ["terminal", "length", _] => {
                self.terminal.0 = args[0];
                String::new()
            }
            ["terminal", "width", _] => {
                self.terminal.1 = args[0];
                String::new()
            }
            _ => unreachable!("every leaf of the command tree is handled"),
        };
        CliOutput { text, exit: false }
    }
}

/// Walks the command tree with IOS prefix matching.
fn parse(line: &str) -> Parsed {
    let mut nodes = TOP;
    let mut words = Vec::new();
    let mut args = Vec::new();
    let mut tokens = tokens(line).peekable();
    if tokens.peek().is_none() {
        return Parsed::Empty;
    }
    for (start, tok) in tokens {
        if tok == "?" {
            return Parsed::Help(nodes, String::new());
        }
        if let Some(prefix) = tok.strip_suffix('?') {
            return Parsed::Help(nodes, prefix.to_ascii_lowercase());
        }
        if nodes.is_empty() {
            return Parsed::Invalid(start);
        }
        if let Some(arg) = nodes
            .iter()
            .find(|n| n.name.starts_with('<') && n.name != CR)
        {
            match number_in(tok, arg.name) {
                Some(v) => {
                    words.push(arg.name);
                    args.push(v);
                    nodes = arg.children;
                    continue;
                }
                None => return Parsed::Invalid(start),
            }
        }
        let lower = tok.to_ascii_lowercase();
        let keywords = || nodes.iter().filter(|n| n.name != CR);
        let matches: Vec<&Node> = match keywords().find(|n| n.name == lower) {
            Some(exact) => vec![exact],
            None => keywords().filter(|n| n.name.starts_with(&lower)).collect(),
        };
        match matches.as_slice() {
            [] => return Parsed::Invalid(start + first_bad(&lower, nodes)),
            [n] => {
                words.push(n.name);
                nodes = n.children;
                if words == ["ssh"] {
                    return Parsed::Rest(words, start + tok.len());
                }
            }
            _ => return Parsed::Ambiguous(start + tok.len()),
        }
    }
    if nodes.is_empty() || nodes.iter().any(|n| n.name == CR) {
        Parsed::Command(words, args)
    } else {
        Parsed::Incomplete
    }
}

/// `tok` as a number within the range named like `<0-512>`.
fn number_in(tok: &str, range: &str) -> Option<u32> {
    let (lo, hi) = range.trim_matches(['<', '>']).split_once('-')?;
    let v: u32 = tok.parse().ok()?;
    (lo.parse::<u32>().ok()? <= v && v <= hi.parse::<u32>().ok()?).then_some(v)
}

/// Byte offset within `tok` of the first character no command continues with (IOS puts the
/// caret there: `show foo` marks the `f`, `show sshx` the `x`).
fn first_bad(tok: &str, nodes: &[Node]) -> usize {
    let mut n = 0;
    for (i, _) in tok.char_indices().skip(1) {
        if nodes.iter().any(|node| node.name.starts_with(&tok[..i])) {
            n = i;
        } else {
            break;
        }
    }
    n
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split_ascii_whitespace()
        .map(move |t| (t.as_ptr() as usize - line.as_ptr() as usize, t))
}

/// IOS `?` output: each matching keyword and its help.
fn help(nodes: &[Node], prefix: &str) -> String {
    if nodes.is_empty() {
        return "  <cr>\r\n\r\n".into();
    }
    let mut s = String::new();
    for n in nodes.iter().filter(|n| n.name.starts_with(prefix)) {
        s.push_str(&format!("  {:<12}{}\r\n", n.name, n.help));
    }
    s.push_str("\r\n");
    s
}

#[cfg(test)]
#[path = "device_cli_tests.rs"]
mod tests;
