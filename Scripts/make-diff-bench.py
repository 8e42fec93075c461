#!/usr/bin/env python3
"""Builds two CRIU image directories for benchmarking `ckpt-inspect diff`.

Both are Fixtures/raw/diff-pair/gen1 with one more anonymous VMA of SIZE bytes whose pages are
all dumped (one PE_PRESENT pagemap entry, pages-1.img = SIZE bytes of random data). In B,
PERCENT % of the pages (chosen at random) have 16 bytes rewritten.

usage: make-diff-bench.py OUTDIR [SIZE_MIB=1024] [PERCENT=5]
writes OUTDIR/a, OUTDIR/b and OUTDIR/changed-pages.txt (the changed page addresses).
"""
import os
import random
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "Fixtures", "raw", "diff-pair", "gen1")
PID = 29283
BASE = 0x7FFD00000000  # above every VMA of the template, below vsyscall
PAGE = 4096


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def main():
    out = sys.argv[1]
    size = int(sys.argv[2]) << 20 if len(sys.argv) > 2 else 1 << 30
    percent = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    pages = size // PAGE
    rng = random.Random(1234)
    for side in ("a", "b"):
        d = os.path.join(out, side)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(TEMPLATE, d)
        # pagemap: magic, head (pages_id 1), one entry with every page of the new VMA.
        with open(os.path.join(TEMPLATE, f"pagemap-{PID}.img"), "rb") as f:
            data = f.read()
        head_size = struct.unpack_from("<I", data, 8)[0]
        entry = field_varint(1, BASE) + field_varint(2, 0) + field_varint(4, 4) + field_varint(5, pages)
        with open(os.path.join(d, f"pagemap-{PID}.img"), "wb") as f:
            f.write(data[: 12 + head_size] + struct.pack("<I", len(entry)) + entry)
        # mm: append one vma_entry (field 14) to mm_entry.
        with open(os.path.join(TEMPLATE, f"mm-{PID}.img"), "rb") as f:
            data = f.read()
        mm_size = struct.unpack_from("<I", data, 8)[0]
        mm = data[12 : 12 + mm_size]
        vma = (field_varint(1, BASE) + field_varint(2, BASE + size) + field_varint(3, 0) + field_varint(4, 0)
               + field_varint(5, 3) + field_varint(6, 0x22) + field_varint(7, 0x201) + field_varint(8, 1))
        mm += varint((14 << 3) | 2) + varint(len(vma)) + vma
        with open(os.path.join(d, f"mm-{PID}.img"), "wb") as f:
            f.write(data[:8] + struct.pack("<I", len(mm)) + mm + data[12 + mm_size :])
    # Pages: random in A; B = A with PERCENT % of pages touched.
    a_pages = os.path.join(out, "a", "pages-1.img")
    b_pages = os.path.join(out, "b", "pages-1.img")
    with open(a_pages, "wb") as f:
        left = size
        while left:
            n = min(left, 64 << 20)
            f.write(os.urandom(n))
            left -= n
    shutil.copyfile(a_pages, b_pages)
    changed = sorted(rng.sample(range(pages), int(pages * percent / 100)))
    with open(b_pages, "r+b") as f:
        for p in changed:
            offset = p * PAGE + rng.randrange(0, PAGE - 16)
            f.seek(offset)
            old = f.read(16)
            f.seek(offset)
            f.write(bytes((x ^ 0xFF) for x in old))
    with open(os.path.join(out, "changed-pages.txt"), "w") as f:
        for p in changed:
            f.write(f"0x{BASE + p * PAGE:x}\n")
    print(f"{pages} pages, {len(changed)} changed; {out}/a {out}/b")


if __name__ == "__main__":
    main()
