#!/usr/bin/env bash
# Builds the test PKI for src/pki/tests with the Debian `openssl` CLI (OpenSSL 3):
# per key type (rsa, p256, p384, ed25519) a root, an intermediate, an SSH server and an SSH user
# certificate, plus the certificates the refusal tests need, CRLs and OCSP responses.
# Validity is explicit (2020-01-01 .. 2099-12-31) so a test's fixed `now` (2030-01-01) holds for
# the project's life; OCSP responses carry the generation time (tests use the real clock there).
#
# usage: make-pki.sh OUTDIR      (called by the tests; safe to run by hand)
set -euo pipefail
OUT=${1:?usage: make-pki.sh OUTDIR}
mkdir -p "$OUT"
cd "$OUT"
command -v openssl >/dev/null || { echo "openssl CLI not found" >&2; exit 1; }

GOOD_FROM=20200101000000Z
GOOD_TO=20991231235959Z

cat > ca.cnf <<'CNF'
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $ENV::CADIR
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = default
policy = policy_any
unique_subject = no
preserve = yes
copy_extensions = none
default_crl_days = 36500
[ policy_any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
emailAddress = optional
[ crl_ext ]
authorityKeyIdentifier = keyid
CNF

cat > ext.cnf <<'CNF'
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ int ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ int_pathlen0 ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
[ int_notca ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, digitalSignature
[ int_nc ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, permitted;DNS:good.example, permitted;IP:10.0.0.0/255.0.0.0, excluded;DNS:bad.good.example
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:host.example.com, DNS:*.wild.example.com, IP:192.0.2.10, IP:2001:db8::10
[ server_tls ]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:host.example.com
[ server_nosan ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
[ user ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
subjectAltName = email:alice@example.com, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@corp.example.com
[ user_tls ]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ user_codesign ]
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
[ user_noeku ]
keyUsage = critical, digitalSignature
[ user_nods ]
keyUsage = critical, keyEncipherment
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
[ user_critical ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
1.2.3.4.5.6.7 = critical, ASN1:NULL
[ nc_good ]
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:host.good.example, IP:10.1.2.3
[ nc_bad ]
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:host.bad.example
[ nc_badip ]
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:ip.good.example, IP:192.168.1.1
[ nc_excluded ]
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:x.bad.good.example
[ ocsp_signer ]
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
CNF

key() { # key ALG NAME
  case "$1" in
    rsa) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2.key" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2.key" ;;
    p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2.key" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2.key" ;;
  esac
}

cadir() { # cadir NAME: a CA database for issuer NAME
  mkdir -p "db_$1"
  [ -f "db_$1/index.txt" ] || { : > "db_$1/index.txt"; openssl rand -hex 8 > "db_$1/serial"; }
}

# issue ISSUER NAME SUBJECT EXT [FROM TO MD]: NAME.pem signed by ISSUER (ISSUER=self: self-signed)
issue() {
  local issuer=$1 name=$2 subj=$3 ext=$4 from=${5:-$GOOD_FROM} to=${6:-$GOOD_TO} md=${7:-default}
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
  if [ "$issuer" = self ]; then
    cadir "$name"
    CADIR="db_$name" openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$name.key" \
      -in "$name.csr" -out "$name.pem" -extfile ext.cnf -extensions "$ext" \
      -startdate "$from" -enddate "$to" -md "$md" 2>/dev/null
  else
    cadir "$issuer"
    CADIR="db_$issuer" openssl ca -batch -notext -config ca.cnf -cert "$issuer.pem" \
      -keyfile "$issuer.key" -in "$name.csr" -out "$name.pem" -extfile ext.cnf \
      -extensions "$ext" -startdate "$from" -enddate "$to" -md "$md" 2>/dev/null
  fi
  openssl x509 -in "$name.pem" -outform DER -out "$name.der"
}

for alg in rsa p256 p384 ed25519; do
  key "$alg" "root_$alg"; key "$alg" "int_$alg"; key "$alg" "server_$alg"; key "$alg" "user_$alg"
  issue self "root_$alg" "/O=Example/CN=Root CA $alg" root
  issue "root_$alg" "int_$alg" "/O=Example/CN=Intermediate CA $alg" int
  issue "int_$alg" "server_$alg" "/O=Example/CN=host.example.com" server
  issue "int_$alg" "user_$alg" "/O=Example/OU=Admins/CN=alice" user
done

# Refusals, mostly under the P-256 hierarchy (fast keys).
for n in selfsigned expired future tls codesign noeku nods nocn critical revoked \
         server_tls server_nosan int_expired under_expired int_notca under_notca \
         int_pl0 int_sub under_pl0 int_nc nc_good nc_bad nc_badip nc_excluded ocsp_signer \
         decoy_signer decoy_leaf; do
  key p256 "$n"
done
issue self selfsigned "/CN=alice" user
issue int_p256 expired "/CN=alice" user 20000101000000Z 20050101000000Z
issue int_p256 future "/CN=alice" user 20900101000000Z "$GOOD_TO"
issue int_p256 tls "/CN=alice" user_tls
issue int_p256 codesign "/CN=alice" user_codesign
issue int_p256 noeku "/CN=alice" user_noeku
issue int_p256 nods "/CN=alice" user_nods
issue int_p256 nocn "/O=Example/OU=Admins" user
issue int_p256 critical "/CN=alice" user_critical
issue int_p256 revoked "/CN=mallory" user
issue int_p256 server_tls "/CN=host.example.com" server_tls
issue int_p256 server_nosan "/CN=legacy.example.com" server_nosan
issue root_p256 int_expired "/CN=Expired Intermediate" int 20000101000000Z 20050101000000Z
issue int_expired under_expired "/CN=alice" user
issue root_p256 int_notca "/CN=Not A CA" int_notca
issue int_notca under_notca "/CN=alice" user
issue root_p256 int_pl0 "/CN=Pathlen Zero CA" int_pathlen0
issue int_pl0 int_sub "/CN=Sub CA" int
issue int_sub under_pl0 "/CN=alice" user
issue root_p256 int_nc "/CN=Constrained CA" int_nc
issue int_nc nc_good "/CN=host.good.example" nc_good
issue int_nc nc_bad "/CN=host.bad.example" nc_bad
issue int_nc nc_badip "/CN=ip.good.example" nc_badip
issue int_nc nc_excluded "/CN=x.bad.good.example" nc_excluded
issue int_p256 ocsp_signer "/CN=OCSP Responder" ocsp_signer
# SHA-1: an RSA user certificate signed with sha1WithRSAEncryption.
key rsa user_sha1
issue int_rsa user_sha1 "/CN=alice" user "$GOOD_FROM" "$GOOD_TO" sha1

# Budget: 40 self-signed decoy CAs of one name, none of which signed the leaf.
issue self decoy_signer "/CN=Decoy CA" root
issue decoy_signer decoy_leaf "/CN=alice" user
for i in $(seq 1 40); do
  key p256 "decoy_$i"
  issue self "decoy_$i" "/CN=Decoy CA" root
done

# A walk: seven self-signed "Loop CA" certificates of one key, each verifying every other.
key p256 loop
key p256 loop_leaf
for i in $(seq 1 7); do
  cp loop.key "loop_$i.key"
  issue self "loop_$i" "/CN=Loop CA" root
done
issue loop_1 loop_leaf "/CN=alice" user

# CRL of the P-256 intermediate revoking `revoked`.
CADIR=db_int_p256 openssl ca -config ca.cnf -revoke revoked.pem -cert int_p256.pem \
  -keyfile int_p256.key 2>/dev/null
CADIR=db_int_p256 openssl ca -config ca.cnf -gencrl -cert int_p256.pem -keyfile int_p256.key \
  -crl_lastupdate "$GOOD_FROM" -crl_nextupdate "$GOOD_TO" -crlexts crl_ext -out int_p256.crl.pem \
  2>/dev/null
openssl crl -in int_p256.crl.pem -outform DER -out int_p256.crl.der
# An empty CRL of the P-256 root (the intermediate is not revoked).
cadir root_p256
CADIR=db_root_p256 openssl ca -config ca.cnf -gencrl -cert root_p256.pem -keyfile root_p256.key \
  -crl_lastupdate "$GOOD_FROM" -crl_nextupdate "$GOOD_TO" -crlexts crl_ext -out root_p256.crl.pem \
  2>/dev/null
# An expired CRL of the intermediate.
CADIR=db_int_p256 openssl ca -config ca.cnf -gencrl -cert int_p256.pem -keyfile int_p256.key \
  -crl_lastupdate 20000101000000Z -crl_nextupdate 20050101000000Z -crlexts crl_ext \
  -out int_p256.stale.crl.pem 2>/dev/null

# OCSP responses from the intermediate's database: signed by the CA itself, and by a delegated
# responder (included in the response).
for who in user_p256 revoked; do
  openssl ocsp -issuer int_p256.pem -cert "$who.pem" -no_nonce -reqout "ocsp_$who.req" 2>/dev/null
  openssl ocsp -index db_int_p256/index.txt -CA int_p256.pem -rsigner int_p256.pem \
    -rkey int_p256.key -reqin "ocsp_$who.req" -respout "ocsp_$who.ca.der" -ndays 36500 2>/dev/null
  openssl ocsp -index db_int_p256/index.txt -CA int_p256.pem -rsigner ocsp_signer.pem \
    -rkey ocsp_signer.key -reqin "ocsp_$who.req" -respout "ocsp_$who.delegated.der" \
    -ndays 36500 2>/dev/null
done
# A response signed by a certificate without id-kp-OCSPSigning (the server's).
openssl ocsp -index db_int_p256/index.txt -CA int_p256.pem -rsigner server_p256.pem \
  -rkey server_p256.key -reqin ocsp_user_p256.req -respout ocsp_user_p256.rogue.der \
  -ndays 36500 2>/dev/null

# PKCS#12: OpenSSL 3 default (PBES2/AES-256-CBC, HMAC-SHA256 MAC) and -legacy (3DES/RC2-40,
# SHA-1 MAC), for each key type, with the chain.
for alg in rsa p256 ed25519; do
  cat "int_$alg.pem" "root_$alg.pem" > "chain_$alg.pem"
  openssl pkcs12 -export -inkey "user_$alg.key" -in "user_$alg.pem" -certfile "chain_$alg.pem" \
    -passout pass:s3cret -out "user_$alg.p12"
  openssl pkcs12 -export -legacy -inkey "user_$alg.key" -in "user_$alg.pem" \
    -certfile "chain_$alg.pem" -passout pass:s3cret -out "user_$alg.legacy.p12"
done
openssl pkcs12 -export -inkey user_p384.key -in user_p384.pem -passout pass:s3cret \
  -keypbe AES-128-CBC -certpbe AES-128-CBC -macalg sha512 -out user_p384.p12
echo done > READY
