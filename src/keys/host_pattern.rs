//! OpenSSH's host patterns (`match.c`), as `known_hosts` host fields use them: `*` matches any
//! run of characters, `?` exactly one; a list is comma-separated and a `!pattern` that matches
//! vetoes the whole list, wherever it stands. Names and patterns compare case-insensitively
//! (`match_hostname` lowercases both).

/// Whether `s` matches the wildcard pattern `p`. Iterative with one back-tracking point, so it
/// takes at most `len(s) * len(p)` steps (OpenSSH's recursive `match_pattern` can take
/// exponential time on patterns like `*a*a*a*b`, and the file is not ours).
pub(crate) fn wildcard(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    // After a `*`: where in the pattern to resume, and the next position of `s` to try.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi + 1, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&s[si]) => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and try again.
                Some((resume, from)) => {
                    star = Some((resume, from + 1));
                    pi = resume;
                    si = from + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// OpenSSH `match_hostname(name, list)` == 1: some pattern of the comma-separated `list`
/// matches `name` and no negated one does.
pub(crate) fn list_matches(name: &str, list: &str) -> bool {
    let mut positive = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if wildcard(name.as_bytes(), pattern.as_bytes()) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        for (s, p, want) in [
            ("router1", "router1", true),
            ("Router1", "rOUTER1", true),
            ("router1", "router", false),
            ("router", "router1", false),
            ("", "", true),
            ("", "*", true),
            ("a", "", false),
            ("router1", "r*", true),
            ("router1", "*1", true),
            ("router1", "*", true),
            ("router1", "r?uter?", true),
            ("router1", "r?uter??", false),
            ("a.lab.example", "*.lab.example", true),
            ("lab.example", "*.lab.example", false),
            ("[h]:2222", "[h]:*", true),
            ("[h]:2222", "*", true),
            ("abcabd", "*abd", true),
            ("mississippi", "m*iss*ppi", true),
            ("mississippi", "m*iss*ppx", false),
            ("aaa", "a**a", true),
        ] {
            assert_eq!(wildcard(s.as_bytes(), p.as_bytes()), want, "{s} ~ {p}");
        }
        // The pathological case for a recursive matcher finishes at once.
        let s = "a".repeat(2000);
        let p = format!("{}b", "*a".repeat(100));
        assert!(!wildcard(s.as_bytes(), p.as_bytes()));
    }

    #[test]
    fn lists_and_negation() {
        assert!(list_matches("h1", "h0,h1,h2"));
        assert!(!list_matches("h3", "h0,h1,h2"));
        assert!(list_matches("a.lab", "*.lab,!b.lab"));
        assert!(!list_matches("b.lab", "*.lab,!b.lab"));
        // Negation vetoes wherever it stands, and alone never matches.
        assert!(!list_matches("b.lab", "!b.lab,*.lab"));
        assert!(!list_matches("c.lab", "!b.lab"));
        assert!(!list_matches("x", ""));
        assert!(list_matches("x", ",x,"));
    }
}
