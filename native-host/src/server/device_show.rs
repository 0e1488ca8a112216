//! The text of the device CLI's `show` commands, laid out like Cisco IOS (lines end `\r\n`).

use super::device_cli::{ConnectionRow, SshSettings, UserLine};

/// IOS field widths of `show ssh` (each field is followed by one space): Connection, Version,
/// Mode, Encryption, Hmac, State; Username last.
const SSH_WIDTHS: [usize; 6] = [10, 7, 4, 11, 12, 21];
const SSH_HEADER: [&str; 7] = [
    "Connection",
    "Version",
    "Mode",
    "Encryption",
    "Hmac",
    "State",
    "Username",
];

/// `show ssh`.
#[must_use]
pub fn show_ssh(conns: &[ConnectionRow]) -> String {
    let mut rows: Vec<[String; 7]> = Vec::with_capacity(conns.len() * 2);
    for c in conns {
        for (mode, enc, mac) in [
            ("IN", &c.encryption_in, &c.hmac_in),
            ("OUT", &c.encryption_out, &c.hmac_out),
        ] {
            rows.push([
                c.id.to_string(),
                c.version.clone(),
                mode.into(),
                enc.clone(),
                mac.clone(),
                c.state.clone(),
                c.username.clone(),
            ]);
        }
    }
    // A column widens only for values more than one character past the IOS field (see the
    // module docs of device_cli): IOS's own one-character overflow is kept as IOS prints it.
    let mut widths = SSH_WIDTHS;
    for (i, w) in widths.iter_mut().enumerate() {
        let longest = rows.iter().map(|r| r[i].len()).max().unwrap_or(0);
        if longest > *w + 1 {
            *w = longest;
        }
    }
    let mut s = String::new();
    let header = SSH_HEADER.map(String::from);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            line.push_str(&format!("{:<w$} ", row[i]));
        }
        line.push_str(&row[6]);
        s.push_str(line.trim_end());
        s.push_str("\r\n");
    }
    s.push_str("%No SSHv1 server connections running.\r\n");
    s
}

/// `show ip ssh`.
#[must_use]
pub fn show_ip_ssh(st: &SshSettings) -> String {
    let j = |v: &[String]| v.join(",");
    format!(
        "SSH Enabled - version 2.0\r\n\
         Authentication methods:{}\r\n\
         Authentication Publickey Algorithms:{}\r\n\
         Hostkey Algorithms:{}\r\n\
         Encryption Algorithms:{}\r\n\
         MAC Algorithms:{}\r\n\
         KEX Algorithms:{}\r\n\
         Authentication timeout: {} secs; Authentication retries: {}\r\n",
        j(&st.auth_methods),
        j(&st.pubkey_algorithms),
        j(&st.hostkey_algorithms),
        j(&st.encryption),
        j(&st.macs),
        j(&st.kex_algorithms),
        st.timeout_secs,
        st.retries,
    )
}

/// `show users`: the line of `current` is marked `*`.
#[must_use]
pub fn show_users(lines: &[UserLine], current: u32) -> String {
    let mut s =
        String::from("    Line       User       Host(s)              Idle       Location\r\n");
    for l in lines {
        let mark = if l.number == current { '*' } else { ' ' };
        let mut row = format!("{mark}{:>3} ", l.number);
        for (text, w) in [(&l.line, 10), (&l.user, 11), (&l.host, 21)] {
            row.push_str(&format!("{text:<w$}"));
            if text.len() >= w {
                row.push(' ');
            }
        }
        row.push_str(&format!("{:>8} {}", l.idle, l.location));
        s.push_str(row.trim_end());
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}
