#!/bin/sh
# Made the key fixtures in this directory once, with OpenSSH 9.2p1 ssh-keygen and OpenSSL 3.0
# (Debian 12). Kept for the record: the tests read the committed files, they do not run this.
# Run from this directory: sh make.sh
set -eu
P='pem pass'
k() { rm -f "$1" "$1.pub"; }

# PKCS#1 `BEGIN RSA PRIVATE KEY`, plain and legacy-encrypted (Proc-Type, DEK-Info AES-128-CBC).
k rsa2048.pkcs1;      ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C '' -f rsa2048.pkcs1
k rsa2048-enc.pkcs1;  ssh-keygen -q -t rsa -b 2048 -m PEM -N "$P" -C '' -f rsa2048-enc.pkcs1
# A 1024-bit key: parses, but verification refuses it (DEFAULT_MIN_RSA_BITS).
openssl genrsa -traditional -out rsa1024.pkcs1 1024 2>/dev/null

# SEC1 `BEGIN EC PRIVATE KEY`.
k p256.sec1;          ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -C '' -f p256.sec1
k p384-enc.sec1;      ssh-keygen -q -t ecdsa -b 384 -m PEM -N "$P" -C '' -f p384-enc.sec1
# `openssl ecparam -genkey` puts an `EC PARAMETERS` block first.
openssl ecparam -name secp521r1 -genkey -out p521.sec1
# Legacy encryption with the other ciphers: DES-EDE3-CBC and AES-256-CBC.
openssl ec -in p256.sec1 -des3 -passout "pass:$P" -out p256-des3.sec1 2>/dev/null
openssl rsa -in rsa2048.pkcs1 -traditional -aes256 -passout "pass:$P" -out rsa2048-aes256.pkcs1 2>/dev/null

# PKCS#8 `BEGIN PRIVATE KEY`.
openssl genpkey -algorithm ed25519 -out ed25519.pkcs8
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pkcs8 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pkcs8
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pkcs8
k p521.pkcs8;         ssh-keygen -q -t ecdsa -b 521 -m PKCS8 -N '' -C '' -f p521.pkcs8

# PKCS#8 `BEGIN ENCRYPTED PRIVATE KEY` (PBES2): PBKDF2-HMAC-SHA256 + AES-256-CBC (OpenSSL 3's
# default PRF), PBKDF2-HMAC-SHA1 + AES-128-CBC, and what `ssh-keygen -m PKCS8 -N` writes.
openssl pkcs8 -topk8 -v2 aes-256-cbc -in ed25519.pkcs8 -passout "pass:$P" -out ed25519-enc.pkcs8
openssl pkcs8 -topk8 -v2 aes-256-cbc -in rsa2048.pkcs8 -passout "pass:$P" -out rsa2048-enc.pkcs8
openssl pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA1 -in p256.pkcs8 -passout "pass:$P" -out p256-sha1-enc.pkcs8
k p384-enc.pkcs8;     ssh-keygen -q -t ecdsa -b 384 -m PKCS8 -N "$P" -C '' -f p384-enc.pkcs8
# Unsupported on purpose: scrypt as the PBES2 KDF.
openssl pkcs8 -topk8 -scrypt -in p256.pkcs8 -passout "pass:$P" -out p256-scrypt.pkcs8

# Public keys: SPKI `BEGIN PUBLIC KEY`, PKCS#1 `BEGIN RSA PUBLIC KEY`, RFC 4716.
openssl pkey -in rsa2048.pkcs8 -pubout -out rsa2048.spki
openssl pkey -in p384.pkcs8 -pubout -out p384.spki
openssl pkey -in ed25519.pkcs8 -pubout -out ed25519.spki
openssl rsa -in rsa2048.pkcs8 -RSAPublicKey_out -out rsa2048.pkcs1pub 2>/dev/null
ssh-keygen -e -f p256.sec1.pub > p256.rfc4716

# What ssh-keygen says each private key's public half is (`ssh-keygen -y`), one line per file.
: > public-lines
for f in rsa2048.pkcs1 rsa1024.pkcs1 p256.sec1 p521.sec1 rsa2048.pkcs8 p256.pkcs8 p384.pkcs8 p521.pkcs8; do
  printf '%s %s\n' "$f" "$(ssh-keygen -y -f "$f" | cut -d' ' -f1,2)" >> public-lines
done
for f in rsa2048-enc.pkcs1 p384-enc.sec1 p256-des3.sec1 rsa2048-aes256.pkcs1 rsa2048-enc.pkcs8 p256-sha1-enc.pkcs8 p384-enc.pkcs8; do
  printf '%s %s\n' "$f" "$(ssh-keygen -y -P "$P" -f "$f" | cut -d' ' -f1,2)" >> public-lines
done
# ssh-keygen 9.2 does not read Ed25519 PKCS#8: the blob is built from OpenSSL's public key.
for f in ed25519.pkcs8 ed25519-enc.pkcs8; do
  b64=$( { printf '\000\000\000\013ssh-ed25519\000\000\000\040';
           openssl pkey -in "$f" -passin "pass:$P" -pubout -outform DER | tail -c 32; } | base64 -w0)
  printf '%s ssh-ed25519 %s\n' "$f" "$b64" >> public-lines
done
rm -f ./*.pub

# `ssh-keygen -l` fingerprints (SHA256 and MD5) of the public halves above.
: > fingerprints
while read -r f t b; do
  printf '%s %s\n' "$t" "$b" > fp.pub
  printf '%s %s %s\n' "$f" "$(ssh-keygen -l -E sha256 -f fp.pub | cut -d' ' -f2)" \
    "$(ssh-keygen -l -E md5 -f fp.pub | cut -d' ' -f2)" >> fingerprints
done < public-lines
rm -f fp.pub

# known_hosts: a plain file written here, then hashed by `ssh-keygen -H` (which hashes each
# name of a list on its own line and leaves patterns and marker lines alone).
pub() { grep "^$1 " public-lines | cut -d' ' -f2,3; }
{
  echo "# plain known_hosts fixture"
  echo "router1,192.0.2.1 $(pub ed25519.pkcs8) r1 comment"
  echo ""
  echo "[router2]:2222 $(pub p256.sec1)"
  echo "[router2]:2222,[192.0.2.2]:2222 $(pub rsa2048.pkcs1)"
  echo "*.lab.example,!evil.lab.example $(pub p384.pkcs8)"
  echo "sw?.site $(pub rsa2048.pkcs8)"
  echo "@revoked * $(pub p521.sec1)"
  echo "@cert-authority *.corp $(pub ed25519.pkcs8)"
  echo "router1 $(pub p256.pkcs8)"
} > known_hosts
cp known_hosts known_hosts.hashed
ssh-keygen -q -H -f known_hosts.hashed >/dev/null 2>&1
rm -f known_hosts.hashed.old
# What `ssh-keygen -F NAME` finds in each file (line numbers), for the lookups the tests make.
: > known_hosts.found
for f in known_hosts known_hosts.hashed; do
  for n in router1 192.0.2.1 '[router2]:2222' '[192.0.2.2]:2222' a.lab.example evil.lab.example sw1.site sw10.site router2 router3; do
    lines=$(ssh-keygen -F "$n" -f "$f" | sed -n 's/^# Host .* found: line \([0-9]*\).*/\1/p' | tr '\n' ' ')
    printf '%s %s %s\n' "$f" "$n" "$lines" >> known_hosts.found
  done
done

# DSA (`ssh-dss`, legacy): `BEGIN DSA PRIVATE KEY` plain and legacy-encrypted, and OpenSSH's own.
k dsa.pem;            ssh-keygen -q -t dsa -m PEM -N '' -C '' -f dsa.pem
k dsa-enc.pem;        ssh-keygen -q -t dsa -m PEM -N "$P" -C '' -f dsa-enc.pem
k dsa.openssh;        ssh-keygen -q -t dsa -N '' -C 'dsa@sshgate' -f dsa.openssh
