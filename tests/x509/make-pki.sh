#!/usr/bin/env bash
# The PKI of the X.509 login tests (tests/x509_*.rs, native-host/tests/interop_x509*.rs, the
# bench's certificate login), built with the `openssl` CLI (OpenSSL 3). Unlike
# src/pki/tests/make-pki.sh (the validation unit tests), its certificates name what loopback
# logins need: servers are `localhost`, `router1.example.com` and 127.0.0.1, users are CN=alice
# with no subjectAltName (so asyncssh's user principal is the CN, as IOS maps it).
#
# Per key type (rsa = 2048 bits, p256, p384, p521, ed25519): root_T (a trust anchor), int_T (its
# intermediate), server_T and user_T (under int_T), and the chains server_T.chain.pem /
# user_T.chain.pem (leaf + intermediate: the "two-level" chains a peer sends).
# Refusals (P-256 hierarchy unless named): see the `issue` lines below. Validity is
# 2020-01-01 .. 2099-12-31 unless a test needs otherwise, so both the tests' fixed clock
# (2030-01-01) and the real clock of the interop peers fall inside it.
#
# usage: make-pki.sh OUTDIR      (run by the tests on first use; safe to run by hand)
set -euo pipefail
OUT=${1:?usage: make-pki.sh OUTDIR}
mkdir -p "$OUT"
cd "$OUT"
command -v openssl >/dev/null || { echo "openssl CLI not found" >&2; exit 1; }

FROM=20200101000000Z
TO=20991231235959Z

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
keyUsage = critical, keyCertSign, cRLSign
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
nameConstraints = critical, permitted;DNS:good.example
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:localhost, DNS:router1.example.com, IP:127.0.0.1
[ server_clienteku ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
subjectAltName = DNS:localhost, DNS:router1.example.com, IP:127.0.0.1
[ server_other ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:other.example.com
[ server_nc_bad ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.22
subjectAltName = DNS:router1.bad.example
[ user ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
[ user_email ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
subjectAltName = email:alice@example.com
[ user_tls ]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ user_codesign ]
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
[ user_nods ]
keyUsage = critical, keyEncipherment
extendedKeyUsage = 1.3.6.1.5.5.7.3.21
CNF

key() { # key TYPE NAME
  case "$1" in
    rsa) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2.key" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2.key" ;;
    p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2.key" ;;
    p521) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2.key" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2.key" ;;
  esac
  # PKCS#8 PEM, which both the engine and asyncssh read.
  chmod 600 "$2.key"
}

cadir() { # cadir NAME: a CA database for issuer NAME
  mkdir -p "db_$1"
  [ -f "db_$1/index.txt" ] || { : > "db_$1/index.txt"; openssl rand -hex 8 > "db_$1/serial"; }
}

# issue ISSUER NAME SUBJECT EXT [FROM TO MD]: NAME.pem signed by ISSUER (self: self-signed)
issue() {
  local issuer=$1 name=$2 subj=$3 ext=$4 from=${5:-$FROM} to=${6:-$TO} md=${7:-default}
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

chain() { # chain NAME ISSUER...: NAME.chain.pem = NAME.pem then each ISSUER.pem
  local name=$1
  shift
  cat "$name.pem" > "$name.chain.pem"
  for i in "$@"; do cat "$i.pem" >> "$name.chain.pem"; done
}

for t in rsa p256 p384 p521 ed25519; do
  for n in root int server user; do key "$t" "${n}_$t"; done
  issue self "root_$t" "/O=Example/CN=Root CA $t" root
  issue "root_$t" "int_$t" "/O=Example/CN=Intermediate CA $t" int
  issue "int_$t" "server_$t" "/O=Example/CN=router1.example.com" server
  issue "int_$t" "user_$t" "/O=Example/OU=Admins/CN=alice" user
  chain "server_$t" "int_$t"
  chain "user_$t" "int_$t"
done
cat root_rsa.pem root_p256.pem root_p384.pem root_p521.pem root_ed25519.pem > roots.pem

# Refusals and mappings. Users are refused by a server, servers by a client.
for n in user_expired user_future user_selfsigned other_root user_other user_tls user_codesign \
         user_nods user_bob user_nocn user_email user_revoked int_expired user_under_expired \
         int_notca user_under_notca int_pl0 int_sub user_under_pl0 server_expired \
         server_clienteku server_other int_nc server_nc_bad server_revoked; do
  key p256 "$n"
done
issue int_p256 user_expired "/CN=alice" user 20000101000000Z 20050101000000Z
issue int_p256 user_future "/CN=alice" user 20900101000000Z "$TO"
issue self user_selfsigned "/CN=alice" user
issue self other_root "/O=Elsewhere/CN=Other Root CA" root
issue other_root user_other "/CN=alice" user
issue int_p256 user_tls "/CN=alice" user_tls
issue int_p256 user_codesign "/CN=alice" user_codesign
issue int_p256 user_nods "/CN=alice" user_nods
issue int_p256 user_bob "/O=Example/CN=bob" user
issue int_p256 user_nocn "/O=Example/OU=Admins" user
issue int_p256 user_email "/O=Example/CN=Carol Example" user_email
issue int_p256 user_revoked "/CN=alice" user
issue root_p256 int_expired "/CN=Expired Intermediate" int 20000101000000Z 20050101000000Z
issue int_expired user_under_expired "/CN=alice" user
issue root_p256 int_notca "/CN=Not A CA" int_notca
issue int_notca user_under_notca "/CN=alice" user
issue root_p256 int_pl0 "/CN=Pathlen Zero CA" int_pathlen0
issue int_pl0 int_sub "/CN=Sub CA" int
issue int_sub user_under_pl0 "/CN=alice" user
issue int_p256 server_expired "/CN=router1.example.com" server 20000101000000Z 20050101000000Z
issue int_p256 server_clienteku "/CN=router1.example.com" server_clienteku
issue int_p256 server_other "/CN=other.example.com" server_other
issue root_p256 int_nc "/CN=Constrained CA" int_nc
issue int_nc server_nc_bad "/CN=router1.bad.example" server_nc_bad
issue int_p256 server_revoked "/CN=router1.example.com" server
for n in user_expired user_future user_tls user_codesign user_nods user_bob user_nocn \
         user_email user_revoked server_expired server_clienteku server_other server_revoked; do
  chain "$n" int_p256
done
chain user_selfsigned
chain user_other other_root
chain user_under_expired int_expired
chain user_under_notca int_notca
chain user_under_pl0 int_sub int_pl0
chain server_nc_bad int_nc
# SHA-1: an RSA user certificate signed with sha1WithRSAEncryption.
key rsa user_sha1
issue int_rsa user_sha1 "/CN=alice" user "$FROM" "$TO" sha1
chain user_sha1 int_rsa

# The P-256 intermediate's CRL revokes user_revoked and server_revoked.
for n in user_revoked server_revoked; do
  CADIR=db_int_p256 openssl ca -config ca.cnf -revoke "$n.pem" -cert int_p256.pem \
    -keyfile int_p256.key 2>/dev/null
done
CADIR=db_int_p256 openssl ca -config ca.cnf -gencrl -cert int_p256.pem -keyfile int_p256.key \
  -crl_lastupdate "$FROM" -crl_nextupdate "$TO" -crlexts crl_ext -out int_p256.crl.pem 2>/dev/null
# An empty CRL of the P-256 root (its intermediates are not revoked).
cadir root_p256
CADIR=db_root_p256 openssl ca -config ca.cnf -gencrl -cert root_p256.pem -keyfile root_p256.key \
  -crl_lastupdate "$FROM" -crl_nextupdate "$TO" -crlexts crl_ext -out root_p256.crl.pem 2>/dev/null
cat int_p256.crl.pem root_p256.crl.pem > crls_p256.pem

# OCSP responses for a server to staple, signed by the intermediate.
for n in server_p256 server_revoked; do
  openssl ocsp -issuer int_p256.pem -cert "$n.pem" -no_nonce -reqout "$n.ocsp.req" 2>/dev/null
  openssl ocsp -index db_int_p256/index.txt -CA int_p256.pem -rsigner int_p256.pem \
    -rkey int_p256.key -reqin "$n.ocsp.req" -respout "$n.ocsp.der" -ndays 36500 2>/dev/null
done

# PKCS#12 (OpenSSL 3 defaults: PBES2/AES-256, HMAC-SHA256) with the intermediate and the root.
for t in rsa p256 ed25519; do
  openssl pkcs12 -export -inkey "user_$t.key" -in "user_$t.pem" \
    -certfile <(cat "int_$t.pem" "root_$t.pem") -passout pass:s3cret -out "user_$t.p12"
done
echo done > READY
