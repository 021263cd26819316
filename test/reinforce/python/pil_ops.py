"""Reference outputs of Pillow's own operations, for test/reinforce/pil.test.ts.

Reads a JSON list of jobs {"input": raw RGB file, "width", "height", "op", "args", "output"} and
writes each result as raw RGB bytes. Every op is the PIL call torchvision makes for PIL images
(torchvision/transforms/functional_pil.py): the test checks src/engine/reinforce/pil.ts against
the real library, pixel by pixel.
"""
import json
import sys

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

import apple_dr

NEAREST = getattr(Image, "Resampling", Image).NEAREST
FILTERS = {
    "nearest": NEAREST,
    "box": getattr(Image, "Resampling", Image).BOX,
    "bilinear": getattr(Image, "Resampling", Image).BILINEAR,
    "hamming": getattr(Image, "Resampling", Image).HAMMING,
    "bicubic": getattr(Image, "Resampling", Image).BICUBIC,
    "lanczos": getattr(Image, "Resampling", Image).LANCZOS,
}
AFFINE = getattr(Image, "Transform", Image).AFFINE
FLIP = getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT


def run(img, op, args):
    if op == "crop":
        left, top, width, height = args
        return img.crop((left, top, left + width, top + height))
    if op == "resize":
        width, height, name = args
        return img.resize((width, height), FILTERS[name])
    if op == "flip":
        return img.transpose(FLIP)
    if op == "affine":
        return img.transform(img.size, AFFINE, args, NEAREST, fillcolor=(0, 0, 0))
    if op == "rotate":
        return img.rotate(args[0], NEAREST, False, None, fillcolor=(0, 0, 0))
    if op == "brightness":
        return ImageEnhance.Brightness(img).enhance(args[0])
    if op == "color":
        return ImageEnhance.Color(img).enhance(args[0])
    if op == "contrast":
        return ImageEnhance.Contrast(img).enhance(args[0])
    if op == "sharpness":
        return ImageEnhance.Sharpness(img).enhance(args[0])
    if op == "smooth":
        return img.filter(ImageFilter.SMOOTH)
    if op == "posterize":
        return ImageOps.posterize(img, args[0])
    if op == "solarize":
        return ImageOps.solarize(img, args[0])
    if op == "autocontrast":
        return ImageOps.autocontrast(img)
    if op == "equalize":
        return ImageOps.equalize(img)
    if op == "apply_op":
        # torchvision's autoaugment._apply_op on a PIL image, via the twin of Apple's transforms
        return apple_dr._apply_op(img, args[0], args[1])
    if op == "center_view":
        # open_clip's eval preprocess: Resize(size, BICUBIC) of the shorter side, CenterCrop(size)
        w, h = img.size
        size = args[0]
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(size * long / short)
        new_w, new_h = (size, new_long) if w <= h else (new_long, size)
        img = img.resize((new_w, new_h), FILTERS["bicubic"])
        top = int(round((new_h - size) / 2.0))
        left = int(round((new_w - size) / 2.0))
        return img.crop((left, top, left + size, top + size))
    raise ValueError(f"unknown op {op}")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    for job in jobs:
        with open(job["input"], "rb") as f:
            img = Image.frombytes("RGB", (job["width"], job["height"]), f.read())
        out = run(img, job["op"], job["args"])
        assert out.mode == "RGB", out.mode
        with open(job["output"], "wb") as f:
            f.write(json.dumps([out.width, out.height]).encode() + b"\n" + out.tobytes())


if __name__ == "__main__":
    main()
