"""A fake camera for the browser test: a QR code as a Y4M video that Chromium plays as its camera
(`--use-file-for-fake-video-capture`)."""

from __future__ import annotations

from pathlib import Path

import segno
from PIL import Image


def _luma(text: str, width: int, height: int) -> bytes:
    """The Y plane of one frame showing `text` as a QR code on white."""
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
    return image.tobytes()


def qr_y4m(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """Write `frames` identical 4:2:0 frames showing `text` as a QR code on white."""
    return qr_cycle_y4m([text], path, width=width, height=height, frames_each=frames)


def qr_cycle_y4m(
    texts: list[str], path: Path, *, width: int = 640, height: int = 480, frames_each: int = 15
) -> Path:
    """Write `frames_each` frames (10 a second) of each text's QR code in turn: the camera, which
    plays the file in a loop, shows one card after the other."""
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for text in texts:
            y_plane = _luma(text, width, height)
            for _ in range(frames_each):
                out.write(b"FRAME\n")
                out.write(y_plane)
                out.write(chroma)
                out.write(chroma)
    return path
