"""Loads a reinforced dataset the way Apple's MobileCLIP training does (see apple_dr.py) and writes
every replayed view as a PNG, for test/reinforce/apple.test.ts.

usage: apple_reader.py CONFIG OUT_DIR SIZE[,SIZE...] SHARD...

For every shard, samples are grouped like webdataset, filtered by filter_no_caption_or_no_image,
decoded with "pilrgba", renamed, and passed through preprocess_dr (which must not raise). Then
every stored augmentation k is replayed with Compose.reapply at each SIZE (Apple's `size`
argument) to the tensor Apple's loader builds (to_tensor, normalize: mean 0, std 1), whose 8-bit
pixels are saved as OUT_DIR/<key>.<k>.<size>.png. OUT_DIR/report.json lists per sample what
the loader read: the caption, synthetic captions, the embedding arrays' shapes and dtypes, and the
rows preprocess_dr picked.
"""
import json
import os
import sys

import numpy as np
from PIL import Image

import apple_dr


def main():
    config, out_dir, sizes, shards = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], sys.argv[4:]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    dr_transforms = apple_dr.dr_transforms_from_config_file(config, rng)
    report = {"grouped": 0, "filtered_out": [], "samples": []}
    for shard in shards:
        for raw in apple_dr.tarfile_to_samples(shard):
            report["grouped"] += 1
            if not apple_dr.filter_no_caption_or_no_image(raw):
                report["filtered_out"].append(raw["__key__"])
                continue
            sample = apple_dr.rename_image_text(apple_dr.decode_sample(raw))
            out = apple_dr.preprocess_dr(sample, dr_transforms, rng)
            emb_format = "npz" if "npz" in sample else "pth.gz"
            arrays = sample[emb_format]
            entry = {
                "key": raw["__key__"],
                "members": sorted(k for k in raw if not k.startswith("__")),
                "image_mode": sample["image"].mode,
                "image_size": list(sample["image"].size),
                "text": sample["text"],
                "syn": {k: v for k, v in sample["syn.json"].items()},
                "arrays": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()},
                "picked": {"text": out["text"], "syn_text": out["syn_text"], "view_shape": list(out["image"].shape), "view_dtype": str(out["image"].dtype)},
                "param_aug": sample["paug.json"]["param_aug"],
            }
            image = sample["image"].convert("RGB")
            for k, compressed in enumerate(sample["paug.json"]["param_aug"]):
                params = dr_transforms.decompress(compressed)
                for size in sizes:
                    view, _ = dr_transforms.reapply(image, params, size=(size, size))
                    # The CHW float tensor (to_tensor, identity normalize) back to its 8-bit pixels.
                    pixels = np.rint(view * 255.0).astype(np.uint8).transpose(1, 2, 0)
                    Image.fromarray(pixels, "RGB").save(os.path.join(out_dir, f"{raw['__key__']}.{k}.{size}.png"))
            report["samples"].append(entry)
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
