//! The RFC 3526 MODP groups we ship, and group choice and checks for RFC 4419 group exchange.
//!
//! Each prime is `2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + k)` (RFC 3526); the hex
//! below was generated from that formula, checked to be a safe prime, and compared word for word
//! against independent copies of RFC 3526. The generator is 2 for every group.

use super::{DhGroup, KexError};
use std::sync::LazyLock;

/// The largest modulus a server may hand us (RFC 4419 §3: 8192 bits is the largest a client
/// should ask for), whatever range the caller allows. Bounds the work a hostile server can cause.
pub const MAX_GROUP_BITS: u32 = 8192;

/// RFC 2409 §6.2 Oakley group 2, 1024 bits (`diffie-hellman-group1-sha1`, RFC 4253 §8.1): same
/// formula with n = 1024 and k = 129093. Legacy only: old devices offer nothing else.
const P1024_HEX: &str = "\
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 \
    020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 \
    4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED \
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381 FFFFFFFF FFFFFFFF";

/// RFC 3526 2048-bit MODP prime.
const P2048_HEX: &str = "\
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 \
    020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 \
    4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED \
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 \
    98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB \
    9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B \
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 \
    3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";

/// RFC 3526 3072-bit MODP prime.
const P3072_HEX: &str = "\
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 \
    020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 \
    4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED \
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 \
    98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB \
    9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B \
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 \
    3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 \
    A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 \
    ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 \
    D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 \
    08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF";

/// RFC 3526 4096-bit MODP prime.
const P4096_HEX: &str = "\
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 \
    020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 \
    4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED \
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 \
    98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB \
    9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B \
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 \
    3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 \
    A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 \
    ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 \
    D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 \
    08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 \
    88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 \
    DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 \
    233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 \
    93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34063199 FFFFFFFF FFFFFFFF";

/// RFC 3526 6144-bit MODP prime.
const P6144_HEX: &str = "\
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 \
    020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 \
    4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED \
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 \
    98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB \
    9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B \
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 \
    3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 \
    A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 \
    ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 \
    D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 \
    08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 \
    88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 \
    DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 \
    233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 \
    93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492 36C3FAB4 D27C7026 \
    C1D4DCB2 602646DE C9751E76 3DBA37BD F8FF9406 AD9E530E E5DB382F 413001AE \
    B06A53ED 9027D831 179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B \
    DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF 5983CA01 C64B92EC \
    F032EA15 D1721D03 F482D7CE 6E74FEF6 D55E702F 46980C82 B5A84031 900B1C9E \
    59E7C97F BEC7E8F3 23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA \
    CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 06A1D58B B7C5DA76 \
    F550AA3D 8A1FBFF0 EB19CCB1 A313D55C DA56C9EC 2EF29632 387FE8D7 6E3C0468 \
    043E8F66 3F4860EE 12BF2D5B 0B7474D6 E694F91E 6DCC4024 FFFFFFFF FFFFFFFF";

/// RFC 3526 8192-bit MODP prime.
const P8192_HEX: &str = "\
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 \
    020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 \
    4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED \
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 \
    98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB \
    9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B \
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 \
    3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 \
    A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 \
    ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 \
    D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 \
    08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 \
    88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 \
    DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 \
    233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 \
    93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492 36C3FAB4 D27C7026 \
    C1D4DCB2 602646DE C9751E76 3DBA37BD F8FF9406 AD9E530E E5DB382F 413001AE \
    B06A53ED 9027D831 179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B \
    DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF 5983CA01 C64B92EC \
    F032EA15 D1721D03 F482D7CE 6E74FEF6 D55E702F 46980C82 B5A84031 900B1C9E \
    59E7C97F BEC7E8F3 23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA \
    CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 06A1D58B B7C5DA76 \
    F550AA3D 8A1FBFF0 EB19CCB1 A313D55C DA56C9EC 2EF29632 387FE8D7 6E3C0468 \
    043E8F66 3F4860EE 12BF2D5B 0B7474D6 E694F91E 6DBE1159 74A3926F 12FEE5E4 \
    38777CB6 A932DF8C D8BEC4D0 73B931BA 3BC832B6 8D9DD300 741FA7BF 8AFC47ED \
    2576F693 6BA42466 3AAB639C 5AE4F568 3423B474 2BF1C978 238F16CB E39D652D \
    E3FDB8BE FC848AD9 22222E04 A4037C07 13EB57A8 1A23F0C7 3473FC64 6CEA306B \
    4BCBC886 2F8385DD FA9D4B7F A2C087E8 79683303 ED5BDD3A 062B3CF5 B3A278A6 \
    6D2A13F8 3F44F82D DF310EE0 74AB6A36 4597E899 A0255DC1 64F31CC5 0846851D \
    F9AB4819 5DED7EA1 B1D510BD 7EE74D73 FAF36BC3 1ECFA268 359046F4 EB879F92 \
    4009438B 481C6CD7 889A002E D5EE382B C9190DA6 FC026E47 9558E447 5677E9AA \
    9E3050E2 765694DF C81F56E8 80B96E71 60C980DD 98EDD3DF FFFFFFFF FFFFFFFF";

/// Decodes whitespace-separated hex at compile time; a wrong digit count fails the build.
const fn decode_hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let s = s.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut n) = (0, 0);
    while i < s.len() {
        if s[i] == b' ' || s[i] == b'\n' {
            i += 1;
            continue;
        }
        assert!(n < 2 * N, "too many hex digits");
        let v = nibble(s[i]);
        if n % 2 == 0 {
            out[n / 2] = v << 4;
        } else {
            out[n / 2] |= v;
        }
        n += 1;
        i += 1;
    }
    assert!(n == 2 * N, "too few hex digits");
    out
}

static P1024: [u8; 128] = decode_hex(P1024_HEX);
static P2048: [u8; 256] = decode_hex(P2048_HEX);
static P3072: [u8; 384] = decode_hex(P3072_HEX);
static P4096: [u8; 512] = decode_hex(P4096_HEX);
static P6144: [u8; 768] = decode_hex(P6144_HEX);
static P8192: [u8; 1024] = decode_hex(P8192_HEX);

/// The shipped groups, smallest first: (size in bits, group).
static SHIPPED: LazyLock<[(u32, DhGroup); 5]> = LazyLock::new(|| {
    let g = |p: &[u8]| DhGroup {
        p: p.to_vec(),
        g: vec![2],
    };
    [
        (2048, g(&P2048)),
        (3072, g(&P3072)),
        (4096, g(&P4096)),
        (6144, g(&P6144)),
        (8192, g(&P8192)),
    ]
});

/// The shipped groups, smallest first.
pub(super) fn shipped() -> &'static [(u32, DhGroup); 5] {
    &SHIPPED
}

/// `diffie-hellman-group1-sha1`: the RFC 2409 1024-bit group. Kept apart from [`shipped`], so
/// group exchange never hands it out.
static GROUP1: LazyLock<DhGroup> = LazyLock::new(|| DhGroup {
    p: P1024.to_vec(),
    g: vec![2],
});

/// `diffie-hellman-group1-sha1`: the RFC 2409 Oakley group 2.
pub(super) fn group1() -> &'static DhGroup {
    &GROUP1
}

/// `diffie-hellman-group14-*`: the RFC 3526 2048-bit group.
pub(super) fn group14() -> &'static DhGroup {
    &SHIPPED[0].1
}

/// `diffie-hellman-group16-sha512`: the RFC 3526 4096-bit group.
pub(super) fn group16() -> &'static DhGroup {
    &SHIPPED[2].1
}

/// Strips leading zero bytes from a big-endian magnitude.
pub(super) fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// Bit length of a big-endian magnitude.
pub(super) fn bit_len(b: &[u8]) -> u32 {
    let b = trim(b);
    match b.first() {
        None => 0,
        Some(&top) => {
            let bits = (b.len() as u64 - 1) * 8 + u64::from(8 - top.leading_zeros());
            u32::try_from(bits).unwrap_or(u32::MAX)
        }
    }
}

/// Compares two big-endian magnitudes (variable time: for public values only).
pub(super) fn cmp_magnitude(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let (a, b) = (trim(a), trim(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether `1 < v < p - 1` for an odd `p` (variable time: for public values only).
pub(super) fn in_open_range(v: &[u8], p: &[u8]) -> bool {
    let v = trim(v);
    let mut p_minus_1 = trim(p).to_vec();
    match p_minus_1.last_mut() {
        Some(last) if *last & 1 == 1 => *last &= !1,
        _ => return false,
    }
    let above_one = v.len() > 1 || v.first().is_some_and(|&b| b > 1);
    above_one && cmp_magnitude(v, &p_minus_1).is_lt()
}

impl DhGroup {
    /// Server side of RFC 4419: a group from the shipped moduli (2048–8192 bits) within `min..=max`, closest to `n`.
    ///
    /// Takes the largest shipped size not above `n`, or else the smallest above it.
    pub fn choose(min: u32, n: u32, max: u32) -> Result<&'static DhGroup, KexError> {
        if min > max {
            return Err(KexError::BadGroup("min is above max"));
        }
        if n < min || n > max {
            return Err(KexError::BadGroup("preferred size outside min..max"));
        }
        let fits = || {
            shipped()
                .iter()
                .filter(|(bits, _)| (min..=max).contains(bits))
        };
        fits()
            .rfind(|(bits, _)| *bits <= n)
            .or_else(|| fits().find(|(bits, _)| *bits > n))
            .map(|(_, g)| g)
            .ok_or(KexError::BadGroup("no group of an acceptable size"))
    }

    /// Client side: checks a server's group (size within `min..=max`, odd prime-sized, sane generator).
    ///
    /// Also refuses moduli above [`MAX_GROUP_BITS`]. Primality is not tested (RFC 4419 leaves the
    /// group to the server, which could equally well misbehave in other ways).
    pub fn from_server(p: &[u8], g: &[u8], min: u32, max: u32) -> Result<DhGroup, KexError> {
        let (p, g) = (trim(p), trim(g));
        // Bound the size before looking any further (and before any allocation).
        if p.len() > (MAX_GROUP_BITS / 8) as usize {
            return Err(KexError::BadGroup("modulus too large"));
        }
        let bits = bit_len(p);
        if bits < min || bits > max {
            return Err(KexError::BadGroup(
                "modulus size outside the requested range",
            ));
        }
        if p.last().is_none_or(|b| b & 1 == 0) {
            return Err(KexError::BadGroup("modulus is even"));
        }
        if !in_open_range(g, p) {
            return Err(KexError::BadGroup("generator out of range"));
        }
        Ok(DhGroup {
            p: p.to_vec(),
            g: g.to_vec(),
        })
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> u32 {
        bit_len(&self.p)
    }
}
