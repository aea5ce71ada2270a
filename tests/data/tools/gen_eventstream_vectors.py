#!/usr/bin/env python3
"""Generate synthetic application/vnd.amazon.eventstream test vectors.

Written from the public description of the event-stream framing (independent
code, standard library only).  Output: vectors/eventstream_vectors.json,
relative to this script's parent directory.

Every vector is self-describing:
  * "hex"            - the complete wire bytes
  * "expect"         - what a correct decoder must produce (headers with their
                       type ids, payload) or the error class it must raise
  * bedrock vectors  - additionally the decoded inner model JSON of each chunk

Run:  python3 tools/gen_eventstream_vectors.py   (from tests/data)
"""
import base64
import json
import os
import struct
import uuid
import zlib

# ---------------------------------------------------------------- encoder --

T_TRUE, T_FALSE, T_BYTE, T_SHORT, T_INT, T_LONG, T_BYTES, T_STRING, T_TS, T_UUID = range(10)


def crc32(data, seed=0):
    return zlib.crc32(data, seed) & 0xFFFFFFFF


def enc_header(name, htype, value):
    nb = name.encode("utf-8")
    assert 1 <= len(nb) <= 255
    out = struct.pack(">B", len(nb)) + nb + struct.pack(">B", htype)
    if htype in (T_TRUE, T_FALSE):
        pass
    elif htype == T_BYTE:
        out += struct.pack(">b", value)
    elif htype == T_SHORT:
        out += struct.pack(">h", value)
    elif htype == T_INT:
        out += struct.pack(">i", value)
    elif htype in (T_LONG, T_TS):
        out += struct.pack(">q", value)
    elif htype == T_BYTES:
        out += struct.pack(">H", len(value)) + value
    elif htype == T_STRING:
        vb = value.encode("utf-8")
        out += struct.pack(">H", len(vb)) + vb
    elif htype == T_UUID:
        assert len(value) == 16
        out += value
    else:
        raise ValueError(htype)
    return out


def enc_message(headers, payload):
    """headers: list of (name, type, value) in wire order; payload: bytes."""
    hb = b"".join(enc_header(*h) for h in headers)
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    pcrc = crc32(prelude)
    body = prelude + struct.pack(">I", pcrc) + hb + payload
    mcrc = crc32(body)  # covers prelude, prelude crc, headers, payload
    return body + struct.pack(">I", mcrc)


def s(name, value):
    return (name, T_STRING, value)


def header_json(h):
    name, t, v = h
    if t == T_BYTES:
        v = {"base64": base64.b64encode(v).decode()}
    elif t == T_UUID:
        v = str(uuid.UUID(bytes=v))
    elif t in (T_TRUE, T_FALSE):
        v = t == T_TRUE
    return {"name": name, "type": t, "value": v}


def payload_json(p):
    try:
        return {"utf8": p.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(p).decode()}


def vec(name, desc, headers, payload):
    m = enc_message(headers, payload)
    hb_len = struct.unpack(">I", m[4:8])[0]
    return {
        "name": name,
        "description": desc,
        "hex": m.hex(),
        "expect": {
            "total_length": len(m),
            "headers_length": hb_len,
            "prelude_crc": "0x%08x" % struct.unpack(">I", m[8:12])[0],
            "message_crc": "0x%08x" % struct.unpack(">I", m[-4:])[0],
            "headers": [header_json(h) for h in headers],
            "payload": payload_json(payload),
        },
    }


# ------------------------------------------------------- bedrock helpers --

PAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def bedrock_chunk(inner_obj, pad_len):
    inner = json.dumps(inner_obj, separators=(",", ":")).encode("utf-8")
    outer = {"bytes": base64.b64encode(inner).decode()}
    if pad_len:
        outer["p"] = PAD[:pad_len]
    payload = json.dumps(outer, separators=(",", ":")).encode("utf-8")
    # header order as observed on the wire: event-type, content-type, message-type
    headers = [s(":event-type", "chunk"), s(":content-type", "application/json"), s(":message-type", "event")]
    return enc_message(headers, payload), inner.decode()


def bedrock_exception(member, body_obj):
    payload = json.dumps(body_obj, separators=(",", ":")).encode("utf-8")
    headers = [s(":exception-type", member), s(":content-type", "application/json"), s(":message-type", "exception")]
    return enc_message(headers, payload)


def stream_vector(name, desc, items):
    """items: list of ('chunk', inner_obj, pad) | ('exception', member, body) | ('raw', bytes, expect)"""
    wire = b""
    expect = []
    for it in items:
        if it[0] == "chunk":
            m, inner = bedrock_chunk(it[1], it[2])
            wire += m
            expect.append({"kind": "chunk", "decoded_bytes": inner})
        elif it[0] == "exception":
            wire += bedrock_exception(it[1], it[2])
            expect.append({"kind": "exception", "exception_type": it[1], "payload": it[2]})
        elif it[0] == "raw":
            wire += it[1]
            expect.append(it[2])
    return {"name": name, "description": desc, "base64": base64.b64encode(wire).decode(),
            "length": len(wire), "expect_events": expect}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(os.path.dirname(here), "vectors")
    os.makedirs(out_dir, exist_ok=True)

    frames = []
    frames.append(vec("empty", "no headers, empty payload: the smallest legal message (16 bytes)", [], b""))
    frames.append(vec("payload_only", "no headers, JSON payload", [], b'{"hello":"world"}'))
    frames.append(vec("one_string_header", "one string header, empty payload",
                      [s(":message-type", "event")], b""))
    frames.append(vec("all_ten_types", "one header of every value type 0..9, then a payload", [
        ("flag-on", T_TRUE, None),
        ("flag-off", T_FALSE, None),
        ("i8", T_BYTE, -7),
        ("i16", T_SHORT, -12345),
        ("i32", T_INT, 123456789),
        ("i64", T_LONG, -9000000000),
        ("blob", T_BYTES, bytes([0, 1, 2, 0xFE, 0xFF])),
        ("text", T_STRING, "h\u00e9llo"),
        ("when", T_TS, 1735689600123),
        ("id", T_UUID, uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e").bytes),
    ], b"payload bytes"))
    frames.append(vec("bedrock_chunk_minimal", "a Bedrock chunk event without the p padding field", [
        s(":event-type", "chunk"), s(":content-type", "application/json"), s(":message-type", "event")],
        b'{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}'))
    frames.append(vec("unmodeled_error", "an unmodeled error message (:message-type error)", [
        s(":message-type", "error"), s(":error-code", "InternalFailure"),
        s(":error-message", "An internal error occurred.")], b""))

    # negative vectors derived from a valid one
    good = enc_message([s(":message-type", "event"), s(":event-type", "chunk")], b'{"bytes":""}')
    bad_prelude = bytearray(good); bad_prelude[8] ^= 0xFF
    bad_msg = bytearray(good); bad_msg[-1] ^= 0x01
    bad_payload = bytearray(good); bad_payload[-6] ^= 0x20
    truncated = good[:-5]
    # header value type 10 (unknown): build by hand, CRCs valid
    hb = struct.pack(">B", 3) + b"bad" + struct.pack(">B", 10)
    pre = struct.pack(">II", 12 + len(hb) + 4, len(hb))
    body = pre + struct.pack(">I", crc32(pre)) + hb
    bad_type = body + struct.pack(">I", crc32(body))
    # headers_length larger than total allows, CRCs valid
    pre2 = struct.pack(">II", 16, 100)
    body2 = pre2 + struct.pack(">I", crc32(pre2))
    bad_hlen = body2 + struct.pack(">I", crc32(body2))
    # string header whose declared length runs past the header block, CRCs valid
    hb3 = struct.pack(">B", 1) + b"x" + struct.pack(">BH", T_STRING, 50) + b"abc"
    pre3 = struct.pack(">II", 12 + len(hb3) + 4, len(hb3))
    body3 = pre3 + struct.pack(">I", crc32(pre3)) + hb3
    bad_hval = body3 + struct.pack(">I", crc32(body3))
    # total_length smaller than the 16-byte minimum, prelude CRC valid
    pre4 = struct.pack(">II", 8, 0)
    bad_total = pre4 + struct.pack(">I", crc32(pre4)) + b"\x00\x00\x00\x00"

    negatives = [
        {"name": "prelude_crc_mismatch", "hex": bytes(bad_prelude).hex(), "expect_error": "PreludeChecksumMismatch",
         "note": "byte 8 (first byte of prelude CRC) flipped"},
        {"name": "message_crc_mismatch", "hex": bytes(bad_msg).hex(), "expect_error": "MessageChecksumMismatch",
         "note": "last byte flipped"},
        {"name": "payload_corrupted", "hex": bytes(bad_payload).hex(), "expect_error": "MessageChecksumMismatch",
         "note": "a payload byte flipped; prelude still valid"},
        {"name": "truncated", "hex": truncated.hex(), "expect_error": "Incomplete (needs more bytes) / UnexpectedEof at end of stream",
         "note": "last 5 bytes missing"},
        {"name": "unknown_header_type", "hex": bad_type.hex(), "expect_error": "InvalidHeaderValueType(10)",
         "note": "CRCs are valid; header value type byte is 10"},
        {"name": "headers_length_exceeds_total", "hex": bad_hlen.hex(), "expect_error": "InvalidHeadersLength",
         "note": "CRCs valid; headers_length=100 but total_length=16"},
        {"name": "header_value_overruns", "hex": bad_hval.hex(), "expect_error": "InvalidHeaderValue",
         "note": "CRCs valid; string header claims 50 bytes but only 3 remain"},
        {"name": "total_length_too_small", "hex": bad_total.hex(), "expect_error": "InvalidMessageLength",
         "note": "prelude CRC valid; total_length=8 (< 16)"},
    ]

    # realistic Bedrock streams (synthetic content, realistic shapes)
    claude = stream_vector(
        "bedrock_claude_messages_stream",
        "InvokeModelWithResponseStream body for an Anthropic Claude Messages API call (synthetic)",
        [
            ("chunk", {"type": "message_start", "message": {"id": "msg_bdrk_01ExampleExampleExample1", "type": "message",
                        "role": "assistant", "model": "claude-3-5-haiku-20241022", "content": [], "stop_reason": None,
                        "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}, 5),
            ("chunk", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}, 29),
            ("chunk", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}, 32),
            ("chunk", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " there!"}}, 18),
            ("chunk", {"type": "content_block_stop", "index": 0}, 40),
            ("chunk", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": 5}}, 11),
            ("chunk", {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
                        "inputTokenCount": 12, "outputTokenCount": 5, "invocationLatency": 412, "firstByteLatency": 287}}, 0),
        ])
    titan = stream_vector(
        "bedrock_titan_text_stream",
        "Amazon Titan Text stream (synthetic): two chunks, metrics in the last",
        [
            ("chunk", {"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": None, "completionReason": None,
                        "inputTextTokenCount": 4}, 7),
            ("chunk", {"outputText": " world.", "index": 0, "totalOutputTextTokenCount": 3, "completionReason": "FINISH",
                        "inputTextTokenCount": None, "amazon-bedrock-invocationMetrics": {
                            "inputTokenCount": 4, "outputTokenCount": 3, "invocationLatency": 350, "firstByteLatency": 300}}, 9),
        ])
    throttled = stream_vector(
        "bedrock_stream_then_exception",
        "one chunk, then a modeled throttlingException event; the stream ends after it",
        [
            ("chunk", {"generation": "Hi", "prompt_token_count": 9, "generation_token_count": 1, "stop_reason": None}, 3),
            ("exception", "throttlingException", {"message": "Too many tokens, please wait before trying again."}),
        ])
    model_err = stream_vector(
        "bedrock_model_stream_error",
        "modelStreamErrorException with its extra fields",
        [
            ("exception", "modelStreamErrorException", {"message": "Model stream error", "originalStatusCode": 400,
                                                        "originalMessage": "upstream model failed"}),
        ])
    unknown_evt = enc_message([s(":event-type", "futureEvent"), s(":content-type", "application/json"),
                               s(":message-type", "event")], b'{"x":1}')
    unknown = stream_vector(
        "bedrock_unknown_event_type",
        "an event whose :event-type is not a modeled member must be skipped (botocore drops it; smithy-rs yields Unknown)",
        [
            ("raw", unknown_evt, {"kind": "unknown_event", "event_type": "futureEvent"}),
            ("chunk", {"generation": "ok", "prompt_token_count": None, "generation_token_count": 1, "stop_reason": "stop"}, 0),
        ])

    doc = {
        "format": "application/vnd.amazon.eventstream",
        "crc": "CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320, init 0xFFFFFFFF, final xor 0xFFFFFFFF) = zlib.crc32 = crc32fast",
        "header_types": {"0": "bool true", "1": "bool false", "2": "i8", "3": "i16", "4": "i32", "5": "i64",
                         "6": "byte array (u16 len)", "7": "utf-8 string (u16 len)", "8": "timestamp i64 ms", "9": "uuid 16 bytes"},
        "frames": frames,
        "negative": negatives,
        "bedrock_streams": [claude, titan, throttled, model_err, unknown],
    }
    path = os.path.join(out_dir, "eventstream_vectors.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
