use super::*;

fn attrs() -> Attrs {
    Attrs {
        size: Some(1 << 40),
        uid_gid: Some((1000, 100)),
        permissions: Some(0o100_644),
        atime_mtime: Some((1, 2)),
        extended: vec![(b"x@y".to_vec(), b"z".to_vec())],
    }
}

fn requests() -> Vec<Request<'static>> {
    vec![
        Request::Init {
            version: 3,
            extensions: vec![(b"a@b", b"1")],
        },
        Request::Open {
            id: 1,
            path: b"/f",
            pflags: open_flags::WRITE | open_flags::CREAT | open_flags::TRUNC,
            attrs: attrs(),
        },
        Request::Close {
            id: 2,
            handle: b"h",
        },
        Request::Read {
            id: 3,
            handle: b"h",
            offset: 7,
            len: 32768,
        },
        Request::Write {
            id: 4,
            handle: b"h",
            offset: 9,
            data: b"data",
        },
        Request::Lstat { id: 5, path: b"p" },
        Request::Fstat {
            id: 6,
            handle: b"h",
        },
        Request::Setstat {
            id: 7,
            path: b"p",
            attrs: Attrs::default(),
        },
        Request::Fsetstat {
            id: 8,
            handle: b"h",
            attrs: attrs(),
        },
        Request::Opendir { id: 9, path: b"." },
        Request::Readdir {
            id: 10,
            handle: b"d",
        },
        Request::Remove { id: 11, path: b"p" },
        Request::Mkdir {
            id: 12,
            path: b"d",
            attrs: Attrs {
                permissions: Some(0o755),
                ..Attrs::default()
            },
        },
        Request::Rmdir { id: 13, path: b"d" },
        Request::Realpath { id: 14, path: b"." },
        Request::Stat { id: 15, path: b"p" },
        Request::Rename {
            id: 16,
            old: b"a",
            new: b"b",
        },
        Request::Readlink { id: 17, path: b"l" },
        Request::Symlink {
            id: 18,
            target: b"t",
            link: b"l",
        },
        Request::Extended {
            id: 19,
            request: ExtendedRequest::PosixRename {
                old: b"a",
                new: b"b",
            },
        },
        Request::Extended {
            id: 20,
            request: ExtendedRequest::Statvfs { path: b"/" },
        },
        Request::Extended {
            id: 21,
            request: ExtendedRequest::Fstatvfs { handle: b"h" },
        },
        Request::Extended {
            id: 22,
            request: ExtendedRequest::Hardlink {
                old: b"a",
                new: b"b",
            },
        },
        Request::Extended {
            id: 23,
            request: ExtendedRequest::Fsync { handle: b"h" },
        },
        Request::Extended {
            id: 24,
            request: ExtendedRequest::Lsetstat {
                path: b"p",
                attrs: attrs(),
            },
        },
        Request::Extended {
            id: 25,
            request: ExtendedRequest::Limits,
        },
        Request::Extended {
            id: 26,
            request: ExtendedRequest::ExpandPath { path: b"~/x" },
        },
        Request::Extended {
            id: 27,
            request: ExtendedRequest::Other {
                name: b"copy-data",
                data: b"\0\0\0\x01h",
            },
        },
    ]
}

fn responses() -> Vec<Response<'static>> {
    vec![
        Response::Version {
            version: 3,
            extensions: vec![(ext::LIMITS.as_bytes(), b"1")],
        },
        Response::Status {
            id: 1,
            code: status::NO_SUCH_FILE,
            message: "No such file",
            language: "",
        },
        Response::Handle {
            id: 2,
            handle: b"0",
        },
        Response::Data {
            id: 3,
            data: b"bytes",
        },
        Response::Name {
            id: 4,
            names: vec![
                Name {
                    filename: b"a",
                    longname: b"-rw-r--r-- a",
                    attrs: attrs(),
                },
                Name {
                    filename: b"b",
                    longname: b"",
                    attrs: Attrs::default(),
                },
            ],
        },
        Response::Attrs {
            id: 5,
            attrs: attrs(),
        },
        Response::ExtendedReply {
            id: 6,
            data: b"\0\0\0\0\0\0\0\x01",
        },
    ]
}

/// The body (without the length) of an encoded packet, checked against its length field.
fn body(encoded: &[u8]) -> &[u8] {
    let len = u32::from_be_bytes(encoded[..4].try_into().unwrap()) as usize;
    assert_eq!(len, encoded.len() - 4);
    &encoded[4..]
}

#[test]
fn requests_round_trip() {
    for req in requests() {
        let mut out = Vec::new();
        req.encode(&mut out);
        assert_eq!(Request::decode(body(&out)).unwrap(), req);
    }
}

#[test]
fn responses_round_trip() {
    for resp in responses() {
        let mut out = Vec::new();
        resp.encode(&mut out);
        assert_eq!(Response::decode(body(&out)).unwrap(), resp);
    }
}

#[test]
fn every_truncation_is_a_clean_error() {
    for req in requests() {
        let mut out = Vec::new();
        req.encode(&mut out);
        let b = body(&out);
        for cut in 0..b.len() {
            // INIT/VERSION and `Other` extensions end with a variable tail: a cut at a pair's
            // boundary is a shorter valid packet, never a panic.
            if let Ok(short) = Request::decode(&b[..cut]) {
                assert_ne!(short, req, "cut at {cut}");
            }
        }
    }
    for resp in responses() {
        let mut out = Vec::new();
        resp.encode(&mut out);
        let b = body(&out);
        for cut in 0..b.len() {
            if let Ok(short) = Response::decode(&b[..cut]) {
                assert_ne!(short, resp, "cut at {cut}");
            }
        }
    }
    // A fixed-field request cut anywhere fails.
    let mut out = Vec::new();
    Request::Read {
        id: 1,
        handle: b"hh",
        offset: 0,
        len: 4,
    }
    .encode(&mut out);
    for cut in 0..out.len() - 4 {
        assert!(Request::decode(&body(&out)[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut out = Vec::new();
    Request::Close {
        id: 1,
        handle: b"h",
    }
    .encode(&mut out);
    let mut b = body(&out).to_vec();
    b.push(0);
    assert_eq!(
        Request::decode(&b),
        Err(SftpError::Wire(crate::wire::WireError::TrailingBytes(1)))
    );
}

#[test]
fn unknown_types_name_their_id() {
    // A known-but-wrong-direction type and an unassigned one, both with an id to answer.
    assert_eq!(
        Request::decode(&[kind::STATUS, 0, 0, 0, 9]),
        Err(SftpError::UnknownType {
            kind: kind::STATUS,
            id: Some(9)
        })
    );
    assert_eq!(
        Request::decode(&[77, 0, 0, 0, 5, 1, 2]),
        Err(SftpError::UnknownType {
            kind: 77,
            id: Some(5)
        })
    );
    assert_eq!(
        Request::decode(&[77]),
        Err(SftpError::UnknownType { kind: 77, id: None })
    );
    assert!(matches!(
        Response::decode(&[kind::OPEN, 0, 0, 0, 1]),
        Err(SftpError::UnknownType { .. })
    ));
    assert!(Request::decode(&[]).is_err());
}

#[test]
fn hostile_counts_and_flags_are_refused_before_allocating() {
    // A NAME claiming 2^32-1 entries in a few bytes.
    let b = [kind::NAME, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    assert!(Response::decode(&b).is_err());
    // An unknown attribute flag bit: its field's size is unknown.
    let b = [kind::ATTRS, 0, 0, 0, 1, 0, 0, 0, 0x10];
    assert!(Response::decode(&b).is_err());
    // An attribute extension count past the bound.
    let b = [
        kind::ATTRS,
        0,
        0,
        0,
        1,
        0x80,
        0,
        0,
        0,
        0xff,
        0xff,
        0xff,
        0xff,
    ];
    assert!(Response::decode(&b).is_err());
    // A string longer than the packet.
    let b = [kind::OPEN, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, b'a'];
    assert!(Request::decode(&b).is_err());
}

#[test]
fn framer_yields_whole_packets_across_any_split() {
    let mut stream = Vec::new();
    for req in requests() {
        req.encode(&mut stream);
    }
    for step in [1, 3, 7, 64, stream.len()] {
        let mut f = Framer::new(MAX_PACKET);
        let mut got = Vec::new();
        for chunk in stream.chunks(step) {
            f.push(chunk);
            while let Some(p) = f.next_packet().unwrap() {
                got.push(Request::decode(p).unwrap().id());
            }
        }
        assert_eq!(got.len(), requests().len(), "step {step}");
        assert_eq!(f.buffered(), 0);
    }
}

#[test]
fn framer_refuses_oversized_and_empty_lengths() {
    let mut f = Framer::new(MAX_PACKET);
    let len = u32::try_from(MAX_PACKET + 1).unwrap();
    f.push(&len.to_be_bytes());
    assert_eq!(f.next_packet(), Err(SftpError::TooLong(len)));
    // Refused from the length alone: nothing of the claimed size was reserved.
    assert!(f.buf.capacity() < 1024);
    let mut f = Framer::new(MAX_PACKET);
    f.push(&[0, 0, 0, 0]);
    assert_eq!(f.next_packet(), Err(SftpError::Empty));
    // At the bound exactly, it waits for the rest.
    let mut f = Framer::new(MAX_PACKET);
    f.push(&u32::try_from(MAX_PACKET).unwrap().to_be_bytes());
    assert_eq!(f.next_packet(), Ok(None));
}

#[test]
fn extension_replies_round_trip() {
    let s = Statvfs {
        bsize: 4096,
        frsize: 4096,
        blocks: 10,
        bfree: 5,
        bavail: 4,
        files: 100,
        ffree: 50,
        favail: 50,
        fsid: 7,
        flag: Statvfs::RDONLY,
        namemax: 255,
    };
    assert_eq!(Statvfs::decode(&s.encode()).unwrap(), s);
    assert!(Statvfs::decode(&s.encode()[..87]).is_err());
    let l = Limits {
        max_packet_length: 262_144,
        max_read_length: 261_120,
        max_write_length: 261_120,
        max_open_handles: 256,
    };
    assert_eq!(Limits::decode(&l.encode()).unwrap(), l);
    assert!(Limits::decode(&[0; 31]).is_err());
    let h = data_header(5, 3);
    let mut direct = h.to_vec();
    direct.extend_from_slice(b"abc");
    assert_eq!(
        Response::decode(body(&direct)).unwrap(),
        Response::Data {
            id: 5,
            data: b"abc"
        }
    );
}
