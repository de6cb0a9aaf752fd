#!/usr/bin/python3
"""Writes the handwritten digits table that python3-sklearn ships (8 x 8 images, 1797 rows)
as a two-view HDF5 file for `phasecube diagnose`:
  x      = left half of each image (columns 0-3 of every image row), 1797 x 32
  y      = right half (columns 4-7), 1797 x 32
  labels = the digit (0-9), one integer class column
Usage: tools/digits_to_h5.py OUT.h5 [--swap]   (--swap writes y as x and x as y)
Exit status 77 when sklearn is not installed (ctest's skip code)."""
import sys

try:
    from sklearn.datasets import load_digits
except ImportError:
    print("digits_to_h5.py: python3-sklearn is not installed", file=sys.stderr)
    sys.exit(77)
import h5py
import numpy as np


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    digits = load_digits()
    images = digits.images.astype(np.float64)  # 1797 x 8 x 8
    left = images[:, :, :4].reshape(len(images), -1)
    right = images[:, :, 4:].reshape(len(images), -1)
    if "--swap" in sys.argv[2:]:
        left, right = right, left
    with h5py.File(sys.argv[1], "w") as f:
        f["x"] = left
        f["y"] = right
        f["labels"] = digits.target.astype(np.int64)
        f.attrs["source"] = "sklearn.datasets.load_digits (UCI optical recognition of handwritten digits)"
    return 0


if __name__ == "__main__":
    sys.exit(main())
