#!/usr/bin/python3
"""A gRPC server and client (Debian's python3-grpcio, raw bytes, no protobuf)
for the HTTP/2 end-to-end test.

    grpc_echo.py serve PORT
    grpc_echo.py call PORT UNARY FAILING STREAMS [WAIT_FILE]

The service demo.Echo has Say (unary: echoes; a request of b"fail" ends
with NOT_FOUND and a message), Count (server streaming: N replies for a
request of N bytes), Sum (client streaming) and Chat (bidirectional). The
client makes UNARY good and FAILING failing Say calls, then STREAMS calls
of each streaming kind on one channel, and prints what it saw as JSON:
calls per method, statuses and messages each way. With WAIT_FILE it makes
one Say call first, says "ready" on stderr, then waits until the file
exists before the rest (a connection opened before the agent)."""
import json
import os
import sys
import time
from concurrent import futures

import grpc

SERVICE = "demo.Echo"


def say(request, context):
    if request == b"fail":
        context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    return request


def count(request, context):
    for i in range(len(request)):
        yield bytes([i])


def total(request_iterator, context):
    return str(sum(len(r) for r in request_iterator)).encode()


def chat(request_iterator, context):
    for r in request_iterator:
        yield r


def serve(port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        "Say": grpc.unary_unary_rpc_method_handler(say),
        "Count": grpc.unary_stream_rpc_method_handler(count),
        "Sum": grpc.stream_unary_rpc_method_handler(total),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    server.wait_for_termination()


def call(port, unary, failing, streams, wait_file=None):
    seen = {"Say": 0, "Count": 0, "Sum": 0, "Chat": 0, "not_found": 0,
            "count_replies": 0, "sum_requests": 0, "chat_messages": 0}
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        say_rpc = channel.unary_unary(f"/{SERVICE}/Say")
        if wait_file:
            say_rpc(b"before")
            seen["Say"] += 1
            print("ready", file=sys.stderr, flush=True)
            while not os.path.exists(wait_file):
                time.sleep(0.05)
        for i in range(unary):
            assert say_rpc(b"hello %d" % i) == b"hello %d" % i
            seen["Say"] += 1
        for _ in range(failing):
            try:
                say_rpc(b"fail")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND
                seen["not_found"] += 1
            seen["Say"] += 1
        count_rpc = channel.unary_stream(f"/{SERVICE}/Count")
        sum_rpc = channel.stream_unary(f"/{SERVICE}/Sum")
        chat_rpc = channel.stream_stream(f"/{SERVICE}/Chat")
        for _ in range(streams):
            seen["count_replies"] += len(list(count_rpc(b"abc")))
            seen["Count"] += 1
            sum_rpc(iter([b"x", b"yy", b"zzz", b"w"]))
            seen["sum_requests"] += 4
            seen["Sum"] += 1
            seen["chat_messages"] += len(list(chat_rpc(iter([b"a", b"b"]))))
            seen["Chat"] += 1
    print(json.dumps(seen))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        call(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
             sys.argv[6] if len(sys.argv) > 6 else None)
