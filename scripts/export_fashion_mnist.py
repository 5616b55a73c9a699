#!/usr/bin/env python3
"""Export Fashion-MNIST (Debian package `dataset-fashion-mnist`) as PNG files.

Reads the gzipped idx files in /usr/share/datasets/fashion-mnist/ and writes

    OUT_DIR/test/00000.png ...    10,000 test images   (28x28, 8-bit grayscale)
    OUT_DIR/train/00000.png ...   60,000 train images
    OUT_DIR/val_list.txt          "test/00000.png 9" per line (test split)
    OUT_DIR/train_list.txt        "train/00000.png 9" per line (train split)
    OUT_DIR/labels.txt            the 10 class names, index = line number
    OUT_DIR/.complete             stamp, written last

Run:
    python3 scripts/export_fashion_mnist.py OUT_DIR [--split test|train|both] [--limit N]

Uses only the Python standard library (gzip, struct, zlib) so it runs on a
bare Debian machine.  Idempotent: if the stamp in OUT_DIR matches the
requested split/limit, nothing is done.
"""
import argparse
import gzip
import os
import struct
import sys
import zlib

DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Same order as /work/shared/models/resnet50-fashion/labels.txt.
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SPLITS = {"test": "t10k", "train": "train"}
LISTS = {"test": "val_list.txt", "train": "train_list.txt"}
STAMP = ".complete"


def read_idx_images(path):
    """Return (count, rows, cols, raw bytes) of an idx3 ubyte file."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        sys.exit(f"{path}: bad idx3 magic {magic}")
    return n, rows, cols, data[16:16 + n * rows * cols]


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic != 2049:
        sys.exit(f"{path}: bad idx1 magic {magic}")
    return data[8:8 + n]


def png_chunk(tag, payload):
    return (struct.pack(">I", len(payload)) + tag + payload
            + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))


def encode_png_gray8(pixels, width, height):
    """Minimal PNG encoder: 8-bit grayscale, filter type 0 on every row."""
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width]
                   for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def export_split(out_dir, split, limit):
    prefix = os.path.join(DATA_DIR, SPLITS[split])
    n, rows, cols, pixels = read_idx_images(prefix + "-images-idx3-ubyte.gz")
    labels = read_idx_labels(prefix + "-labels-idx1-ubyte.gz")
    if limit is not None:
        n = min(n, limit)
    os.makedirs(os.path.join(out_dir, split), exist_ok=True)
    size = rows * cols
    lines = []
    for i in range(n):
        rel = f"{split}/{i:05d}.png"
        png = encode_png_gray8(pixels[i * size:(i + 1) * size], cols, rows)
        with open(os.path.join(out_dir, rel), "wb") as f:
            f.write(png)
        lines.append(f"{rel} {labels[i]}\n")
    write_atomic(os.path.join(out_dir, LISTS[split]), "".join(lines).encode())
    print(f"{split}: wrote {n} images to {os.path.join(out_dir, split)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--split", choices=["test", "train", "both"], default="both")
    ap.add_argument("--limit", type=int, default=None,
                    help="export only the first N images of each split")
    args = ap.parse_args()

    splits = ["test", "train"] if args.split == "both" else [args.split]
    stamp_text = f"splits={','.join(splits)} limit={args.limit}\n"
    stamp_path = os.path.join(args.out_dir, STAMP)
    try:
        with open(stamp_path) as f:
            if f.read() == stamp_text:
                print(f"{args.out_dir}: already complete ({stamp_text.strip()})")
                return
    except FileNotFoundError:
        pass

    os.makedirs(args.out_dir, exist_ok=True)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    write_atomic(os.path.join(args.out_dir, "labels.txt"),
                 "".join(c + "\n" for c in CLASSES).encode())
    for split in splits:
        export_split(args.out_dir, split, args.limit)
    write_atomic(stamp_path, stamp_text.encode())


if __name__ == "__main__":
    main()
