#!/bin/sh
# Signs a Stripe payload the way Stripe does (Stripe-Signature: t=<unix>,v1=<hex
# HMAC-SHA256 of "<t>.<body>">) and posts it to a running bridge.
# Usage: sh examples/post-stripe.sh examples/stripe/charge.succeeded.json [URL]
set -eu
file=$1
url=${2:-http://localhost:8080/webhooks/stripe}
secret=${STRIPE_WEBHOOK_SECRET:-whsec_dev_only_not_a_real_secret}
t=$(date +%s)
sig=$({ printf '%s.' "$t"; cat "$file"; } | openssl dgst -sha256 -hmac "$secret" | sed 's/^.* //')
curl -sS -X POST "$url" \
  -H 'Content-Type: application/json' \
  -H "Stripe-Signature: t=$t,v1=$sig" \
  --data-binary "@$file"
echo
