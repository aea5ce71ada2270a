#!/usr/bin/env python3
"""Generate SigV4 known-answer vectors for InvokeModelWithResponseStream.

Uses only the standard library (hmac/hashlib) - an independent
implementation of AWS Signature Version 4 as used by Bedrock Runtime
(service/signing name "bedrock", double-encoded canonical URI, no
x-amz-content-sha256 header).  The resulting signatures were
cross-checked against botocore 1.44.5 SigV4Auth and the Rust crate aws-sigv4 1.6.4
with SigningSettings::default().

Output: vectors/sigv4_vectors.json (relative to tests/data).
"""
import hashlib
import hmac
import json
import os
from urllib.parse import quote

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"  # the public AWS documentation example key
AMZ_DATE = "20250101T000000Z"
DATE = AMZ_DATE[:8]
REGION = "us-east-1"
SERVICE = "bedrock"
HOST = "bedrock-runtime.us-east-1.amazonaws.com"
BODY = b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}'


def label(model_id):
    """Non-greedy httpLabel encoding: everything except A-Z a-z 0-9 - . _ ~"""
    return quote(model_id.encode("utf-8"), safe="-._~")


def canonical_uri(path):
    """Double encoding: encode the already-encoded path again, keeping '/'."""
    return quote(path, safe="/-._~")


def sign(model_id, extra_headers=None, session_token=None):
    path = "/model/%s/invoke-with-response-stream" % label(model_id)
    headers = {
        "content-type": "application/json",
        "host": HOST,
        "x-amz-date": AMZ_DATE,
        "x-amzn-bedrock-accept": "application/json",
    }
    if session_token:
        headers["x-amz-security-token"] = session_token
    for k, v in (extra_headers or {}).items():
        headers[k.lower()] = v.strip()
    names = sorted(headers)
    canon_headers = "".join("%s:%s\n" % (n, headers[n]) for n in names)
    signed = ";".join(names)
    payload_hash = hashlib.sha256(BODY).hexdigest()
    creq = "\n".join(["POST", canonical_uri(path), "", canon_headers, signed, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (DATE, REGION, SERVICE)
    sts = "\n".join(["AWS4-HMAC-SHA256", AMZ_DATE, scope, hashlib.sha256(creq.encode()).hexdigest()])

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()

    k = h(("AWS4" + SECRET_KEY).encode(), DATE)
    k = h(k, REGION)
    k = h(k, SERVICE)
    k = h(k, "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    auth = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (ACCESS_KEY, scope, signed, sig)
    return {
        "model_id": model_id,
        "session_token": session_token,
        "extra_headers": extra_headers or {},
        "url": "https://%s%s" % (HOST, path),
        "canonical_request": creq,
        "string_to_sign": sts,
        "signature": sig,
        "authorization": auth,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(os.path.dirname(here), "vectors", "sigv4_vectors.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    doc = {
        "description": "SigV4 known answers for POST /model/{modelId}/invoke-with-response-stream",
        "fixed_inputs": {
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "x_amz_date": AMZ_DATE,
            "region": REGION,
            "signing_name": SERVICE,
            "body_utf8": BODY.decode(),
            "body_sha256": hashlib.sha256(BODY).hexdigest(),
            "request_headers_sent": {"Content-Type": "application/json", "X-Amzn-Bedrock-Accept": "application/json"},
        },
        "cases": [
            sign("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            sign("us.anthropic.claude-3-5-haiku-20241022-v1:0", session_token="EXAMPLESESSIONTOKEN"),
            sign("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            sign("amazon.titan-text-express-v1", extra_headers={
                "X-Amzn-Bedrock-Trace": "ENABLED",
                "X-Amzn-Bedrock-PerformanceConfig-Latency": "optimized",
                "X-Amzn-Bedrock-Service-Tier": "priority",
            }),
        ],
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", out)
    for c in doc["cases"]:
        print(c["model_id"], c["session_token"], c["signature"])


if __name__ == "__main__":
    main()
