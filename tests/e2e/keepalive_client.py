"""Sends N GET requests over one keep-alive connection with http.client."""
import http.client
import sys

host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
conn = http.client.HTTPConnection(host, port)
for i in range(n):
    conn.request("GET", f"{path}{i}", headers={
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    resp = conn.getresponse()
    resp.read()
conn.close()
