"""A fake camera for the browser test: a QR code as a Y4M video that Chromium plays as its camera
(`--use-file-for-fake-video-capture`)."""

from __future__ import annotations

from pathlib import Path

import segno
from PIL import Image


def qr_y4m(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """Write `frames` identical 4:2:0 frames showing `text` as a QR code on white."""
    qr = segno.make(text, error="m")
    modules = qr.symbol_size(scale=1, border=4)[0]
    scale = max(1, (min(width, height) - 40) // modules)
    image = Image.new("L", (width, height), 255)
    matrix = Image.new("L", (modules, modules), 255)
    for y, row in enumerate(qr.matrix_iter(scale=1, border=4)):
        for x, dark in enumerate(row):
            if dark:
                matrix.putpixel((x, y), 0)
    big = matrix.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    image.paste(big, ((width - big.width) // 2, (height - big.height) // 2))
    y_plane = image.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(y_plane)
            out.write(chroma)
            out.write(chroma)
    return path
