#!/usr/bin/env python3
"""A container runtime writing a kubelet-layout CRI log, with the kubelet's rotations.

log_writer.py DIR COUNT RATE ROTATE_BYTES

Writes "n <i>" for i in [0, COUNT) to DIR/0.log at about RATE lines/s. Every
500th line is written as two partial pieces (P, then F) that Loupe must join.
Once the file holds ROTATE_BYTES it is rotated the way the kubelet does it:
renamed to 0.log.<timestamp>, a new 0.log opened, and the rotated file before
it compressed to .gz (the original deleted). Prints "done <rotations>" at the end.
"""
import gzip
import os
import shutil
import sys
import time


def stamp():
    t = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 10**9)) + ".%09dZ" % (t % 10**9)


def main():
    directory, count, rate, rotate_bytes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    path = os.path.join(directory, "0.log")
    out = open(path, "a")
    rotated = []
    start = time.monotonic()
    for i in range(count):
        if i % 500 == 499:
            out.write(f"{stamp()} stdout P n {i} \n{stamp()} stdout F joined\n")
        else:
            out.write(f"{stamp()} stdout F n {i}\n")
        if i % 100 == 99:
            out.flush()
            ahead = (i + 1) / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        if out.tell() >= rotate_bytes:
            out.close()
            name = f"{path}.{time.strftime('%Y%m%d-%H%M%S')}-{len(rotated):03d}"
            os.rename(path, name)
            out = open(path, "a")
            if rotated:  # the kubelet compresses all but the newest rotated file
                previous = rotated[-1]
                with open(previous, "rb") as src, gzip.open(previous + ".gz.tmp", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.rename(previous + ".gz.tmp", previous + ".gz")
                os.remove(previous)
            rotated.append(name)
    out.close()
    print(f"done {len(rotated)}", flush=True)


if __name__ == "__main__":
    main()
