"""Sends the known mix over keep-alive connections: 300 GET /a, 100 POST /b,
50 GET /c, interleaved.  usage: mix_client.py PORT"""
import http.client
import random
import sys

port = int(sys.argv[1])
jobs = [("GET", "/a")] * 300 + [("POST", "/b")] * 100 + [("GET", "/c")] * 50
random.seed(7)
random.shuffle(jobs)
conn = http.client.HTTPConnection("127.0.0.1", port)
for i, (method, path) in enumerate(jobs):
    if i % 50 == 0:
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request(method, path, body=b"x=1" if method == "POST" else None)
    conn.getresponse().read()
conn.close()
