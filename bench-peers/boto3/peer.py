"""The boto3 peer of benches/loopback.rs: bedrock-runtime with endpoint_url pointed at the
loopback emulator and static test credentials, doing the same consumer work per chunk
(botocore base64-decodes `bytes`; we parse the model's JSON with json.loads).

Usage (one result line of key=value pairs on stdout):
  peer.py stream   ENDPOINT MODEL_ID REPEATS [JSON(0|1)]
  peer.py requests ENDPOINT MODEL_ID SECONDS

Prints `events bytes secs cpu_s vmhwm_kib requests`, like bench-peers/src/main.rs.
"""

import json
import resource
import sys
import time

import boto3
from botocore.config import Config

BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello"}],
    }
).encode()


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def vmhwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def one_stream(client, model, parse):
    resp = client.invoke_model_with_response_stream(
        modelId=model, body=BODY, contentType="application/json", accept="application/json"
    )
    events = nbytes = 0
    for event in resp["body"]:
        chunk = event.get("chunk")
        if chunk is not None:
            b = chunk["bytes"]
            if parse:
                doc = json.loads(b)
                doc.get("delta")
            nbytes += len(b)
        events += 1
    return events, nbytes


def main():
    mode, endpoint, model, n = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    parse = len(sys.argv) < 6 or sys.argv[5] == "1"
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEMULATOR",
        aws_secret_access_key="emulator-secret",
        config=Config(retries={"max_attempts": 1}, read_timeout=300),
    )
    one_stream(client, "emulator-fault:bulk:chunks=1:size=200", True)
    cpu0, t0 = cpu_seconds(), time.monotonic()
    events = nbytes = requests = 0
    if mode == "stream":
        for _ in range(int(n)):
            e, b = one_stream(client, model, parse)
            events += e
            nbytes += b
    elif mode == "requests":
        until = t0 + n
        while time.monotonic() < until:
            e, b = one_stream(client, model, True)
            events += e
            nbytes += b
            requests += 1
    else:
        sys.exit(__doc__)
    secs = time.monotonic() - t0
    print(
        f"events={events} bytes={nbytes} secs={secs:.6f} cpu_s={cpu_seconds() - cpu0:.6f} "
        f"vmhwm_kib={vmhwm_kib()} requests={requests}"
    )


if __name__ == "__main__":
    main()
