//! Object identifiers the PKI layer recognises (RFC 5280, RFC 3279, RFC 4055, RFC 5758,
//! RFC 8410, RFC 6960, RFC 7292, RFC 8018, RFC 6187 §2.2.2).

use der::asn1::ObjectIdentifier as Oid;

macro_rules! oids {
    ($($(#[$m:meta])* $name:ident = $s:literal;)*) => {
        $($(#[$m])* pub(crate) const $name: Oid = Oid::new_unwrap($s);)*
    };
}

oids! {
    // Signature algorithms.
    MD5_WITH_RSA = "1.2.840.113549.1.1.4";
    SHA1_WITH_RSA = "1.2.840.113549.1.1.5";
    SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
    SHA384_WITH_RSA = "1.2.840.113549.1.1.12";
    SHA512_WITH_RSA = "1.2.840.113549.1.1.13";
    ECDSA_WITH_SHA1 = "1.2.840.10045.4.1";
    ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
    ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3";
    ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4";
    ED25519 = "1.3.101.112";
    // Key types and curves.
    RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
    EC_PUBLIC_KEY = "1.2.840.10045.2.1";
    SECP256R1 = "1.2.840.10045.3.1.7";
    SECP384R1 = "1.3.132.0.34";
    SECP521R1 = "1.3.132.0.35";
    // Certificate extensions (RFC 5280 §4.2).
    EXT_SUBJECT_KEY_ID = "2.5.29.14";
    EXT_KEY_USAGE = "2.5.29.15";
    EXT_SUBJECT_ALT_NAME = "2.5.29.17";
    EXT_ISSUER_ALT_NAME = "2.5.29.18";
    EXT_BASIC_CONSTRAINTS = "2.5.29.19";
    EXT_NAME_CONSTRAINTS = "2.5.29.30";
    EXT_CRL_DISTRIBUTION_POINTS = "2.5.29.31";
    EXT_CERTIFICATE_POLICIES = "2.5.29.32";
    EXT_AUTHORITY_KEY_ID = "2.5.29.35";
    EXT_EXTENDED_KEY_USAGE = "2.5.29.37";
    EXT_AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1";
    EXT_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5";
    // CRL extensions (RFC 5280 §5.2, §5.3).
    CRL_NUMBER = "2.5.29.20";
    CRL_REASON = "2.5.29.21";
    CRL_INVALIDITY_DATE = "2.5.29.24";
    CRL_DELTA_INDICATOR = "2.5.29.27";
    CRL_ISSUING_DISTRIBUTION_POINT = "2.5.29.28";
    CRL_CERTIFICATE_ISSUER = "2.5.29.29";
    // Extended key usages.
    KP_ANY = "2.5.29.37.0";
    KP_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    KP_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    KP_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
    /// id-kp-secureShellClient (RFC 6187 §2.2.2).
    KP_SSH_CLIENT = "1.3.6.1.5.5.7.3.21";
    /// id-kp-secureShellServer (RFC 6187 §2.2.2).
    KP_SSH_SERVER = "1.3.6.1.5.5.7.3.22";
    // Names.
    AT_COMMON_NAME = "2.5.4.3";
    AT_SURNAME = "2.5.4.4";
    AT_SERIAL_NUMBER = "2.5.4.5";
    AT_COUNTRY = "2.5.4.6";
    AT_LOCALITY = "2.5.4.7";
    AT_STATE = "2.5.4.8";
    AT_STREET = "2.5.4.9";
    AT_ORGANIZATION = "2.5.4.10";
    AT_ORG_UNIT = "2.5.4.11";
    AT_TITLE = "2.5.4.12";
    AT_GIVEN_NAME = "2.5.4.42";
    AT_DOMAIN_COMPONENT = "0.9.2342.19200300.100.1.25";
    AT_USER_ID = "0.9.2342.19200300.100.1.1";
    AT_EMAIL_ADDRESS = "1.2.840.113549.1.9.1";
    /// Microsoft User Principal Name in an otherName.
    UPN = "1.3.6.1.4.1.311.20.2.3";
    // OCSP (RFC 6960).
    OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";
    // Hashes.
    SHA1 = "1.3.14.3.2.26";
    SHA256 = "2.16.840.1.101.3.4.2.1";
    SHA384 = "2.16.840.1.101.3.4.2.2";
    SHA512 = "2.16.840.1.101.3.4.2.3";
    // PKCS#7 / PKCS#12 / PKCS#5.
    PKCS7_DATA = "1.2.840.113549.1.7.1";
    PKCS7_ENCRYPTED_DATA = "1.2.840.113549.1.7.6";
    BAG_KEY = "1.2.840.113549.1.12.10.1.1";
    BAG_SHROUDED_KEY = "1.2.840.113549.1.12.10.1.2";
    BAG_CERT = "1.2.840.113549.1.12.10.1.3";
    CERT_X509 = "1.2.840.113549.1.9.22.1";
    PBE_SHA_3DES = "1.2.840.113549.1.12.1.3";
    PBE_SHA_RC2_128 = "1.2.840.113549.1.12.1.5";
    PBE_SHA_RC2_40 = "1.2.840.113549.1.12.1.6";
    PBES2 = "1.2.840.113549.1.5.13";
    PBKDF2 = "1.2.840.113549.1.5.12";
    HMAC_SHA1 = "1.2.840.113549.2.7";
    HMAC_SHA256 = "1.2.840.113549.2.9";
    HMAC_SHA384 = "1.2.840.113549.2.10";
    HMAC_SHA512 = "1.2.840.113549.2.11";
    AES128_CBC = "2.16.840.1.101.3.4.1.2";
    AES192_CBC = "2.16.840.1.101.3.4.1.22";
    AES256_CBC = "2.16.840.1.101.3.4.1.42";
    DES_EDE3_CBC = "1.2.840.113549.3.7";
}
