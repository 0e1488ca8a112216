use super::*;

struct Fake;

fn conn(id: u32, enc: &str, mac: &str, user: &str) -> ConnectionRow {
    ConnectionRow {
        id,
        version: "2.0".into(),
        encryption_in: enc.into(),
        encryption_out: enc.into(),
        hmac_in: mac.into(),
        hmac_out: mac.into(),
        state: "Session started".into(),
        username: user.into(),
    }
}

impl DeviceState for Fake {
    fn ssh_connections(&self) -> Vec<ConnectionRow> {
        vec![conn(1, "aes256-ctr", "hmac-sha2-256", "lab")]
    }
    fn ssh_settings(&self) -> SshSettings {
        let v = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        SshSettings {
            timeout_secs: 120,
            retries: 3,
            hostkey_algorithms: v("x509v3-ssh-rsa,ssh-rsa"),
            kex_algorithms: v("curve25519-sha256,diffie-hellman-group14-sha256"),
            encryption: v("aes128-ctr,aes192-ctr,aes256-ctr"),
            macs: v("hmac-sha2-256,hmac-sha2-512"),
            auth_methods: v("publickey,password,keyboard-interactive"),
            pubkey_algorithms: v("x509v3-ssh-rsa,ssh-rsa"),
        }
    }
    fn users(&self) -> Vec<UserLine> {
        let l = |n, line: &str, user: &str, loc: &str| UserLine {
            number: n,
            line: line.into(),
            user: user.into(),
            host: "idle".into(),
            idle: "00:00:00".into(),
            location: loc.into(),
        };
        vec![
            l(1, "vty 0", "lab", "127.0.0.1"),
            l(2, "vty 1", "sameer.cisco.com", "192.168.1.100"),
        ]
    }
}

fn cli(privilege: u8) -> DeviceCli {
    DeviceCli::new(CliContext {
        hostname: "router1".into(),
        privilege,
        line_number: 1,
        state: Arc::new(Fake),
    })
}

fn out(line: &str) -> String {
    cli(15).feed_line(line).text
}

const SHOW_SSH: &str = "\
Connection Version Mode Encryption  Hmac         State                 Username\r\n\
1          2.0     IN   aes256-ctr  hmac-sha2-256 Session started       lab\r\n\
1          2.0     OUT  aes256-ctr  hmac-sha2-256 Session started       lab\r\n\
%No SSHv1 server connections running.\r\n";

#[test]
fn prompt_by_privilege() {
    assert_eq!(cli(15).prompt(), "router1#");
    assert_eq!(cli(1).prompt(), "router1>");
    assert_eq!(cli(0).prompt(), "router1>");
}

#[test]
fn show_ssh_matches_ios() {
    assert_eq!(out("show ssh"), SHOW_SSH);
    assert_eq!(out("sh ssh"), SHOW_SSH);
    assert_eq!(out("  SH   SS  "), SHOW_SSH);
}

#[test]
fn show_ssh_long_names_line_up() {
    let rows = [
        conn(
            1,
            "chacha20-poly1305@openssh.com",
            &mac_display("chacha20-poly1305@openssh.com", None),
            "lab",
        ),
        conn(
            12,
            "aes128-ctr",
            "hmac-sha2-256-etm@openssh.com",
            "operator",
        ),
    ];
    let text = crate::server::device_show::show_ssh(&rows);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 7, "{text}");
    let col = |l: &str, word: &str| l.find(word).unwrap();
    let state = col(lines[0], "State");
    for l in &lines[1..5] {
        assert_eq!(col(l, "Session"), state, "{text}");
    }
    let hmac = col(lines[0], "Hmac");
    assert_eq!(
        lines[1].rfind("chacha20").unwrap(),
        hmac,
        "AEAD: cipher in Hmac"
    );
    assert_eq!(lines[3].find("hmac-sha2-256-etm").unwrap(), hmac);
    assert!(
        lines[3].starts_with("12         2.0     IN   aes128-ctr "),
        "{text}"
    );
    assert_eq!(lines[5], "%No SSHv1 server connections running.");
    // No connections: header and the SSHv1 line only.
    let empty = crate::server::device_show::show_ssh(&[]);
    assert_eq!(
        empty,
        format!(
            "{}\r\n%No SSHv1 server connections running.\r\n",
            SHOW_SSH.split("\r\n").next().unwrap()
        )
    );
}

#[test]
fn show_ip_ssh_matches_ios() {
    let expected = "\
SSH Enabled - version 2.0\r\n\
Authentication methods:publickey,password,keyboard-interactive\r\n\
Authentication Publickey Algorithms:x509v3-ssh-rsa,ssh-rsa\r\n\
Hostkey Algorithms:x509v3-ssh-rsa,ssh-rsa\r\n\
Encryption Algorithms:aes128-ctr,aes192-ctr,aes256-ctr\r\n\
MAC Algorithms:hmac-sha2-256,hmac-sha2-512\r\n\
KEX Algorithms:curve25519-sha256,diffie-hellman-group14-sha256\r\n\
Authentication timeout: 120 secs; Authentication retries: 3\r\n";
    assert_eq!(out("show ip ssh"), expected);
    assert_eq!(out("sh ip ss"), expected);
}

#[test]
fn show_users_matches_ios() {
    let expected = "    Line       User       Host(s)              Idle       Location\r\n\
*  1 vty 0     lab        idle                 00:00:00 127.0.0.1\r\n   \
2 vty 1     sameer.cisco.com idle                 00:00:00 192.168.1.100\r\n\r\n";
    assert_eq!(out("show users"), expected);
    assert_eq!(out("show u"), expected);
}

#[test]
fn exit_commands_and_empty() {
    for l in ["exit", "logout", "quit", "ex", "lo", "q", "EXIT"] {
        assert_eq!(
            cli(1).feed_line(l),
            CliOutput {
                text: String::new(),
                exit: true
            },
            "{l}"
        );
    }
    assert_eq!(cli(1).feed_line(""), CliOutput::default());
    assert_eq!(cli(1).feed_line("   "), CliOutput::default());
    assert_eq!(out("show sessions"), "% No connections open\r\n");
}

#[test]
fn invalid_input_caret() {
    // Interactive: the caret counts the prompt `router1#` (8 columns).
    assert_eq!(
        out("show foo"),
        format!(
            "{}^\r\n% Invalid input detected at '^' marker.\r\n",
            " ".repeat(8 + 5)
        )
    );
    assert_eq!(
        out("show sshx"),
        format!("{}^\r\n{INVALID}", " ".repeat(8 + 8))
    );
    assert_eq!(out("bogus"), format!("{}^\r\n{INVALID}", " ".repeat(8)));
    assert_eq!(
        out("show ssh extra"),
        format!("{}^\r\n{INVALID}", " ".repeat(8 + 9))
    );
    assert_eq!(
        out("  show  ip  x"),
        format!("{}^\r\n{INVALID}", " ".repeat(8 + 12))
    );
    assert!(!cli(1).feed_line("bogus").exit);
}

#[test]
fn ambiguous_and_incomplete() {
    assert_eq!(out("show s"), "% Ambiguous command:  \"show s\"\r\n");
    assert_eq!(out(" sh s"), "% Ambiguous command:  \"sh s\"\r\n");
    assert_eq!(out("show"), "% Incomplete command.\r\n\r\n");
    assert_eq!(out("sh ip"), "% Incomplete command.\r\n\r\n");
}

#[test]
fn help() {
    let top = out("?");
    for w in ["exit", "logout", "quit", "show", "terminal"] {
        assert!(top.contains(&format!("  {w} ")), "{top}");
    }
    let show = out("show ?");
    assert!(show.contains("  ssh ") && show.contains("  users ") && !show.contains("exit"));
    let s = out("show s?");
    assert!(
        s.contains("ssh") && s.contains("sessions") && !s.contains("users"),
        "{s}"
    );
    assert_eq!(out("show ssh ?"), "  <cr>\r\n\r\n");
}

#[test]
fn exec_mode() {
    let mut c = cli(1);
    assert_eq!(c.run_command("show ssh"), (SHOW_SSH.to_string(), 0));
    assert_eq!(
        c.run_command("show foo"),
        (format!("show foo\r\n     ^\r\n{INVALID}"), 1)
    );
    assert_eq!(c.run_command("show").1, 1);
    assert_eq!(c.run_command("show s").1, 1);
    assert_eq!(c.run_command("exit"), (String::new(), 0));
}

#[test]
fn terminal_settings() {
    let mut c = cli(1);
    assert_eq!(c.feed_line("terminal length 0"), CliOutput::default());
    assert_eq!(c.feed_line("term width 511"), CliOutput::default());
    assert_eq!(c.terminal, (0, 511));
    assert_eq!(
        c.feed_line("terminal length 513").text,
        format!("{}^\r\n{INVALID}", " ".repeat(8 + 16))
    );
    assert_eq!(
        c.feed_line("terminal length x").text,
        format!("{}^\r\n{INVALID}", " ".repeat(8 + 16))
    );
    assert_eq!(
        c.feed_line("terminal length").text,
        "% Incomplete command.\r\n\r\n"
    );
    assert_eq!(c.terminal, (0, 511));
    let h = c.feed_line("terminal length ?").text;
    assert!(h.contains("<0-512>"), "{h}");
    assert_eq!(c.run_command("terminal length 0"), (String::new(), 0));
}

/// The request an `ssh` line leaves for the session, and the line's own output.
fn ssh_line(line: &str) -> (String, Option<SshRequest>) {
    let mut c = cli(15);
    let text = c.feed_line(line).text;
    (text, c.take_outbound())
}

#[test]
fn ssh_command_options() {
    use sshgate::transport::cipher::{CipherAlg, MacAlg};
    let (text, req) =
        ssh_line("ssh -v 2 -c aes256-ctr -m hmac-sha1-96 -l user2 -p 2222 10.76.82.24");
    assert_eq!(text, "");
    let req = req.expect("an ssh request");
    assert_eq!(
        req,
        SshRequest {
            host: "10.76.82.24".into(),
            port: 2222,
            user: Some("user2".into()),
            cipher: Some(CipherAlg::Aes256Ctr),
            mac: Some(MacAlg::HmacSha1_96),
            password_prompts: 3,
            command: None,
        }
    );
    // Without -l the session's own user (line 1 is lab's); a command after the host; IOS's
    // alias for hmac-sha1 and its `3des`; the option name abbreviated as IOS allows.
    let (_, req) = ssh_line("ss -c 3des -m HMAC-SHA1-160 -o numberofpass 1 router2 show users");
    let req = req.expect("an ssh request");
    assert_eq!(req.user.as_deref(), Some("lab"));
    assert_eq!(req.cipher, Some(CipherAlg::TripleDesCbc));
    assert_eq!(req.mac, Some(MacAlg::HmacSha1));
    assert_eq!(req.password_prompts, 1);
    assert_eq!(req.port, 22);
    assert_eq!(
        (req.host.as_str(), req.command.as_deref()),
        ("router2", Some("show users"))
    );
    // Nothing waits after the request was taken.
    let mut c = cli(15);
    c.feed_line("ssh h");
    assert!(c.take_outbound().is_some());
    assert!(c.take_outbound().is_none());
}

#[test]
fn ssh_command_refusals() {
    let caret = |col: usize| format!("{}^\r\n{INVALID}", " ".repeat(8 + col));
    for (line, col) in [
        ("ssh -c rot13 h", 7),
        ("ssh -c aes256-ctr -m hmac-sha3-999 h", 21),
        ("ssh -v 1 h", 7),
        ("ssh -p 0 h", 7),
        ("ssh -p 70000 h", 7),
        ("ssh -o numberofpasswordprompts 9 h", 31),
        ("ssh -o compression yes h", 7),
        ("ssh -x h", 4),
        ("ssh -l a:vrf h", 7),
        ("ssh bad/host", 4),
    ] {
        let (text, req) = ssh_line(line);
        assert_eq!(text, caret(col), "{line}");
        assert!(req.is_none(), "{line}");
    }
    for line in [
        "ssh",
        "ssh -l",
        "ssh -l lab",
        "ssh -o numberofpasswordprompts",
    ] {
        let (text, req) = ssh_line(line);
        assert_eq!(text, "% Incomplete command.\r\n\r\n", "{line}");
        assert!(req.is_none(), "{line}");
    }
    // `s` is now ambiguous (show, ssh), as on IOS.
    assert_eq!(out("s"), "% Ambiguous command:  \"s\"\r\n");
    let help = out("ssh ?");
    assert!(help.contains("  -c ") && help.contains("  WORD "), "{help}");
    // Below privilege 15 there is no ssh (nor disconnect), as IOS hides commands above a
    // user's level.
    let mut low = cli(1);
    assert_eq!(
        low.feed_line("ssh h").text,
        format!("{}^\r\n{INVALID}", " ".repeat(8))
    );
    assert!(low.take_outbound().is_none());
    assert!(low.feed_line("disconnect ssh 1").text.ends_with(INVALID));
    // One exec command has no terminal for a remote session.
    let (text, status) = cli(15).run_command("ssh h");
    assert_eq!(
        (text.as_str(), status),
        ("% ssh needs an interactive session\r\n", 1)
    );
}

#[test]
fn ios_mac_aliases() {
    use super::ssh::ios_mac_name;
    assert_eq!(ios_mac_name("hmac-sha1-160"), "hmac-sha1");
    assert_eq!(ios_mac_name("HMAC-MD5-128"), "hmac-md5");
    assert_eq!(ios_mac_name("hmac-md5-96"), "hmac-md5-96");
    assert_eq!(ios_mac_name("hmac-sha2-256"), "hmac-sha2-256");
}

#[test]
fn disconnect_ssh_needs_a_connection() {
    // The fake state closes nothing.
    assert_eq!(
        out("disconnect ssh 7"),
        "% Invalid SSH connection number 7\r\n"
    );
    assert_eq!(out("disconnect ssh"), "% Incomplete command.\r\n\r\n");
}

/// The only test that touches the device's debug switches (they are process-wide).
#[test]
fn debug_ip_ssh_switches() {
    use super::super::debug_trace::{flags, level};
    use sshgate::TraceLevel;
    let mut c = cli(15);
    assert_eq!(
        c.feed_line("undebug all").text,
        "All possible debugging has been turned off\r\n"
    );
    assert_eq!(c.feed_line("show debugging").text, "");
    assert_eq!(level(), TraceLevel::Off);
    assert_eq!(
        c.feed_line("deb ip ssh").text,
        "Incoming ssh debugging is on\r\n"
    );
    assert_eq!(level(), TraceLevel::Steps);
    assert_eq!(
        c.feed_line("show debugging").text,
        "SSH:\r\n  Incoming ssh debugging is on\r\n"
    );
    assert_eq!(
        c.feed_line("debug ip ssh packet").text,
        "ssh packet debugging is on\r\n"
    );
    assert_eq!(level(), TraceLevel::Packets);
    assert_eq!(
        c.feed_line("no debug ip ssh packet").text,
        "ssh packet debugging is off\r\n"
    );
    assert_eq!(level(), TraceLevel::Steps);
    assert_eq!(
        c.feed_line("undebug ip ssh").text,
        "Incoming ssh debugging is off\r\n"
    );
    assert_eq!(flags(), 0);
    assert_eq!(
        c.feed_line("debug ip ssh detail").text,
        "ssh detail messages debugging is on\r\n"
    );
    assert_eq!(level(), TraceLevel::Steps);
    assert_eq!(
        c.feed_line("u all").text,
        "All possible debugging has been turned off\r\n"
    );
    assert_eq!(level(), TraceLevel::Off);
    // `debug ip ssh` is complete, and its options are listed with IOS's <cr>.
    let h = c.feed_line("debug ip ssh ?").text;
    assert!(
        h.contains("<cr>") && h.contains("detail") && h.contains("packet"),
        "{h}"
    );
    assert_eq!(
        c.feed_line("debug ip").text,
        "% Incomplete command.\r\n\r\n"
    );
    assert!(c.feed_line("debug ip ssh <cr>").text.contains(INVALID));
    // Below privilege 15 the debug commands do not exist.
    let mut user = cli(1);
    assert_eq!(
        user.feed_line("debug ip ssh").text,
        format!("{}^\r\n{INVALID}", " ".repeat(8))
    );
    assert_eq!(flags(), 0);
    assert!(user.feed_line("show debugging").text.is_empty());
}
