#!/bin/sh
# Regenerates the TLS test certificates of client/tests/client/tls.rs with the openssl CLI
# (OpenSSL 3.x): made by another tool than the code under test, as a real server's would be.
# The keys are for these tests only. Run from anywhere: `sh client/tests/certs/make-certs.sh`.
# Certificates are valid until 2099-12-31 (GeneralizedTime) except expired.pem (2020, UTCTime)
# and not-yet-valid.pem (from 2090).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=$(( ( $(date -u -d 2099-12-31 +%s) - $(date -u +%s) ) / 86400 ))
p256="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc"
san="subjectAltName=IP:127.0.0.1,DNS:localhost"

# (a) What `openssl req -x509` makes by default: self-signed, basicConstraints critical CA:TRUE.
openssl req -x509 $p256 -keyout ca-true.key -out ca-true.pem -days "$days" \
    -subj "/CN=vbo01 self-signed" -addext "$san"
openssl x509 -in ca-true.pem -noout -ext basicConstraints | grep -q "CA:TRUE"

# The same, with no subjectAltName at all: the host name is only in the subject's CN.
openssl req -x509 $p256 -keyout cn-only.key -out cn-only.pem -days "$days" -subj "/CN=localhost"

# (f) Another self-signed certificate with the same names as ca-true.pem but another key.
openssl req -x509 $p256 -keyout other-self-signed.key -out other-self-signed.pem -days "$days" \
    -subj "/CN=vbo01 self-signed" -addext "$san"

# (d) A self-signed certificate for another host only. Its CN says localhost, which must not
# count: with a subjectAltName present, the common name is never looked at.
openssl req -x509 $p256 -keyout other-host.key -out other-host.pem -days "$days" \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:vbo02.example"

# (b) An end-entity self-signed certificate WITHOUT basicConstraints, RSA, as Windows'
# New-SelfSignedCertificate makes it (key usage, server+client EKU, SAN).
cat > "$tmp/end-entity.cnf" <<CNF
[req]
distinguished_name = dn
x509_extensions = ee
prompt = no
[dn]
CN = vbo01.windows.example
[ee]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
subjectKeyIdentifier = hash
$san
CNF
openssl req -x509 -config "$tmp/end-entity.cnf" -newkey rsa:2048 -noenc \
    -keyout end-entity.key -out end-entity.pem -days "$days"
if openssl x509 -in end-entity.pem -noout -ext basicConstraints 2>/dev/null | grep -q .; then
    echo "end-entity.pem must have no basicConstraints" >&2; exit 1
fi

# (c) A chain: root CA -> intermediate CA -> leaf for 127.0.0.1/localhost. The server sends
# leaf + intermediate (chain.pem); the client trusts root.pem only.
cat > "$tmp/chain.cnf" <<CNF
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
$san
CNF
openssl req -x509 $p256 -keyout "$tmp/root.key" -out root.pem -days "$days" -subj "/CN=Test Root CA"
openssl req $p256 -keyout "$tmp/intermediate.key" -out "$tmp/intermediate.csr" \
    -subj "/CN=Test Intermediate CA"
openssl x509 -req -in "$tmp/intermediate.csr" -CA root.pem -CAkey "$tmp/root.key" \
    -CAcreateserial -days "$days" -extfile "$tmp/chain.cnf" -extensions intermediate \
    -out "$tmp/intermediate.pem"
openssl req $p256 -keyout leaf.key -out "$tmp/leaf.csr" -subj "/CN=vbo01.example"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/intermediate.pem" -CAkey "$tmp/intermediate.key" \
    -CAcreateserial -days "$days" -extfile "$tmp/chain.cnf" -extensions leaf -out "$tmp/leaf.pem"
cat "$tmp/leaf.pem" "$tmp/intermediate.pem" > chain.pem
openssl verify -CAfile root.pem -untrusted "$tmp/intermediate.pem" "$tmp/leaf.pem"

# (e) Expired: self-signed, valid in 2020 only; and one not valid before 2090. `openssl ca` is
# the CLI that sets such dates.
mkdir "$tmp/ca"
: > "$tmp/ca/index.txt"
cat > "$tmp/ca.cnf" <<CNF
[ca]
default_ca = ca
[ca]
dir = $tmp/ca
database = $tmp/ca/index.txt
new_certs_dir = $tmp/ca
serial = $tmp/ca/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = expired
[any]
commonName = supplied
[expired]
basicConstraints = critical, CA:TRUE
$san
CNF
echo 01 > "$tmp/ca/serial"
openssl req $p256 -keyout expired.key -out "$tmp/expired.csr" -subj "/CN=vbo01 expired"
openssl ca -batch -config "$tmp/ca.cnf" -selfsign -keyfile expired.key -in "$tmp/expired.csr" \
    -startdate 20200101000000Z -enddate 20201231235959Z -notext -out expired.pem
openssl req $p256 -keyout not-yet-valid.key -out "$tmp/not-yet-valid.csr" -subj "/CN=vbo01 future"
openssl ca -batch -config "$tmp/ca.cnf" -selfsign -keyfile not-yet-valid.key \
    -in "$tmp/not-yet-valid.csr" -startdate 20900101000000Z -enddate 20991231235959Z -notext \
    -out not-yet-valid.pem
rm -f root.srl "$tmp"/*.srl

# Pins of ca-true.pem, computed by openssl for the pinning tests (one a line):
# curl's sha256// public-key pin, the certificate's SHA-256 fingerprint as openssl prints it,
# and the certificate's SHA-256 in base64.
pin_of() {
    openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der \
        | openssl dgst -sha256 -binary | openssl base64 -A | sed 's|^|sha256//|'
    echo
}
{
    pin_of ca-true.pem
    openssl x509 -in ca-true.pem -noout -fingerprint -sha256
    openssl x509 -in ca-true.pem -outform der | openssl dgst -sha256 -binary | openssl base64 -A
    echo
} > ca-true.pins
pin_of other-self-signed.pem > other-self-signed.pins
