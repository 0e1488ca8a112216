use super::*;

#[test]
fn round_trips_every_type() {
    let mut w = Writer::message(20);
    w.bool(true)
        .u32(7)
        .u64(1 << 40)
        .string(b"abc")
        .name_list(&["a", "b-c"]);
    w.mpint(&[0x00, 0x80, 0x01]).mpint(&[]).mpint(&[0x7f]);
    let v = w.into_vec();
    let mut r = Reader::new(&v);
    assert_eq!(r.u8("n").unwrap(), 20);
    assert!(r.bool("b").unwrap());
    assert_eq!(r.u32("u").unwrap(), 7);
    assert_eq!(r.u64("q").unwrap(), 1 << 40);
    assert_eq!(r.string("s").unwrap(), b"abc");
    assert_eq!(r.name_list("l").unwrap(), vec!["a", "b-c"]);
    assert_eq!(r.mpint_positive("m").unwrap(), &[0x80, 0x01]);
    assert_eq!(r.mpint_positive("z").unwrap(), &[] as &[u8]);
    assert_eq!(r.mpint_positive("s").unwrap(), &[0x7f]);
    r.finish().unwrap();
}

#[test]
fn rfc4251_mpint_examples() {
    // RFC 4251 §5 examples.
    let mut w = Writer::new();
    w.mpint(&[]);
    assert_eq!(w.as_slice(), &[0, 0, 0, 0]);
    let mut w = Writer::new();
    w.mpint(&[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]);
    assert_eq!(
        w.as_slice(),
        &[0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]
    );
    let mut w = Writer::new();
    w.mpint(&[0x80]);
    assert_eq!(w.as_slice(), &[0, 0, 0, 2, 0, 0x80]);
}

#[test]
fn hostile_lengths_never_allocate_or_panic() {
    let huge = [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
    assert_eq!(
        Reader::new(&huge).string("s"),
        Err(WireError::Truncated("s"))
    );
    assert!(Reader::new(&[0, 0]).u32("u").is_err());
    assert!(Reader::new(&[]).u8("b").is_err());
    // negative and non-minimal mpints are refused
    assert!(
        Reader::new(&[0, 0, 0, 1, 0x80])
            .mpint_positive("m")
            .is_err()
    );
    assert!(
        Reader::new(&[0, 0, 0, 2, 0, 0x01])
            .mpint_positive("m")
            .is_err()
    );
    // empty names and control characters in a name-list are refused
    assert!(
        Reader::new(&[0, 0, 0, 3, b'a', b',', b','])
            .name_list("l")
            .is_err()
    );
    assert!(Reader::new(&[0, 0, 0, 2, b'a', 0]).name_list("l").is_err());
    assert_eq!(
        Reader::new(&[1, 2]).finish(),
        Err(WireError::TrailingBytes(2))
    );
}

#[test]
fn every_prefix_of_a_message_is_rejected_cleanly() {
    let mut w = Writer::new();
    w.string(b"hello")
        .name_list(&["x", "y"])
        .mpint(&[1, 2, 3])
        .u64(9);
    let v = w.into_vec();
    for cut in 0..v.len() {
        let mut r = Reader::new(&v[..cut]);
        let ok = r.string("s").is_ok()
            && r.name_list("l").is_ok()
            && r.mpint_positive("m").is_ok()
            && r.u64("q").is_ok();
        assert!(!ok, "prefix of {cut} bytes decoded");
    }
}
