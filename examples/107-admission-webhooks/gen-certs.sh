#!/usr/bin/env bash
# Writes a CA (ca.crt) and a serving pair (tls.crt, tls.key) for the admission webhook Service
# into OUT_DIR. In a cluster, cert-manager or your PKI does this instead.
# Usage: gen-certs.sh OUT_DIR [NAMESPACE] [SERVICE]
set -euo pipefail
out=${1:?usage: gen-certs.sh OUT_DIR [NAMESPACE] [SERVICE]}
ns=${2:-default}
svc=${3:-shell-operator-validating-svc}
mkdir -p "$out"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=shell-operator webhook CA" \
  -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$svc.$ns.svc" \
  -keyout "$out/tls.key" -out "$out/tls.csr" 2>/dev/null
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -days 365 -out "$out/tls.crt" \
  -extfile <(printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc\n' "$svc" "$svc" "$ns" "$svc" "$ns") \
  2>/dev/null
rm -f "$out/tls.csr" "$out/ca.srl"
echo "certificates for $svc.$ns.svc written to $out"
