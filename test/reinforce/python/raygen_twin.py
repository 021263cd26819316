"""Writes a dataset in RayGen's exact output format, for test/reinforce/raygen.test.ts: the twin of
apple/ml-mobileclip-dr's embedding generation (scripts/gen.py, EmbeddingModel) and shard writer
(src/raygen/datasetio.py TarWriter._process_item, webdataset's TarWriter and encoders), with numpy
and PIL only. Our TypeScript writer is not involved.

  raygen_twin.py views IMAGES_DIR WORK_DIR AUG_CONFIG_JSON NUM_SAMPLES SEED
      Reads IMAGES_DIR/items.json ([{"file", "text", "syn_text": [...]}]), decodes each image as
      gen.py does, draws NUM_SAMPLES augmentations with Apple's Compose (apple_dr.py), and writes
      each view the teachers embed as WORK_DIR/views/<uid>.<k>.png plus WORK_DIR/items.json.
  raygen_twin.py shards WORK_DIR EMB_DIR OUT_DIR AUG_CONFIG_JSON [--bfloat16] [--shard-size N] [--no-images DIR]
      Adds the embeddings (EMB_DIR/<uid>.{image_emb,text_emb,syn_text_emb}.npy) and writes
      OUT_DIR/NNNNNNNN.tar, OUT_DIR/manifest.jsonl and OUT_DIR/config.json as RayGen does.

The one deliberate difference: gen.py computes param_aug (scripts/gen.py:404) but never puts it in
the item, so RayGen's public code writes no paug.json; datasetio.py's TarWriter writes it as
{"param_aug": [...]} when the item has it, and DataCompDR has it. This twin stores it.
"""
import collections
import gzip
import hashlib
import io
import json
import os
import pickle
import sys
import tarfile
import time
import types
import zipfile

import numpy as np
from PIL import Image

import apple_dr


def cmd_views(images_dir, work_dir, aug_config_json, num_samples, seed):
    rng = np.random.default_rng(int(seed))
    with open(aug_config_json, encoding="utf-8") as f:
        aug_config = json.load(f)
    dr_transforms = apple_dr.compose_from_config(aug_config, rng=rng)
    with open(os.path.join(images_dir, "items.json"), encoding="utf-8") as f:
        inputs = json.load(f)
    os.makedirs(os.path.join(work_dir, "views"), exist_ok=True)
    items = []
    for it in inputs:
        with open(os.path.join(images_dir, it["file"]), "rb") as f:
            img_bytes = f.read()
        uid = hashlib.md5(it["file"].encode()).hexdigest()
        # gen.py EmbeddingModel._get_tensors_from_items
        image = Image.open(io.BytesIO(img_bytes)).convert("RGBA").convert("RGB")
        param_augs = []
        for k in range(int(num_samples)):
            image_aug, param_aug = dr_transforms(image)
            param_augs += [dr_transforms.compress(param_aug)]
            # image_aug is the normalized CHW tensor the teachers get (normalize here: mean 0, std 1)
            pixels = np.rint(image_aug * 255.0).astype(np.uint8).transpose(1, 2, 0)
            Image.fromarray(pixels, "RGB").save(os.path.join(work_dir, "views", f"{uid}.{k}.png"))
        items.append({
            "uid": uid, "url": f"https://example.com/{it['file']}", "text": it["text"], "syn_text": it["syn_text"],
            "image_file": os.path.join(images_dir, it["file"]), "sha256": hashlib.sha256(img_bytes).hexdigest(),
            # json.dumps of the compressed tuples, as the writer will store them
            "param_aug": json.loads(json.dumps(param_augs)),
        })
    with open(os.path.join(work_dir, "items.json"), "w", encoding="utf-8") as f:
        json.dump(items, f)


# ---------------------------------------------------------------- torch.save without torch

def _fake_torch():
    """Module objects named like torch's, so pickle writes the same GLOBAL opcodes torch.save does."""
    torch_mod = types.ModuleType("torch")
    utils_mod = types.ModuleType("torch._utils")

    class BFloat16Storage:
        pass

    BFloat16Storage.__module__ = "torch"
    BFloat16Storage.__qualname__ = "BFloat16Storage"

    def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks):
        raise RuntimeError("only for pickling")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch_mod.BFloat16Storage = BFloat16Storage
    torch_mod._utils = utils_mod
    utils_mod._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules.setdefault("torch", torch_mod)
    sys.modules.setdefault("torch._utils", utils_mod)
    return sys.modules["torch"]


class _Storage:
    def __init__(self, key, data, numel):
        self.key, self.data, self.numel = key, data, numel


class _Tensor:
    """A bfloat16 tensor as torch._tensor._reduce_ex_internal reduces it."""

    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce_ex__(self, proto):
        torch = sys.modules["torch"]
        stride = tuple(int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape)))
        return (torch._utils._rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), stride, False, collections.OrderedDict()))


def to_bfloat16_bits(a):
    """c10::BFloat16 round-to-nearest-even from float32."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def torch_save_bf16(arrays):
    """torch.save({name: torch.tensor(a, dtype=torch.bfloat16)}, BytesIO()) (serialization.py _save, protocol 2)."""
    torch = _fake_torch()
    storages = {}
    obj = {}
    for name, a in arrays.items():
        key = str(len(storages))
        storages[key] = _Storage(key, to_bfloat16_bits(a).tobytes(), int(a.size))
        obj[name] = _Tensor(storages[key], list(a.shape))

    data_buf = io.BytesIO()
    pickler = pickle.Pickler(data_buf, protocol=2)
    pickler.persistent_id = lambda o: ("storage", torch.BFloat16Storage, o.key, "cpu", o.numel) if isinstance(o, _Storage) else None
    pickler.dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_buf.getvalue())
        for key in sorted(storages):
            z.writestr(f"archive/data/{key}", storages[key].data)
        z.writestr("archive/version", "3\n")
    return out.getvalue()


# ---------------------------------------------------------------- datasetio.TarWriter + webdataset


def process_item(item, bfloat16, images_out=None):
    """datasetio.TarWriter._process_item (images_out: leave the image out, as DataCompDR is shipped)."""
    sample = {"__key__": item.pop("uid", None) or item.pop("id", None)}
    if "url" in item:
        sample["url.txt"] = item.pop("url")
    with open(item.pop("image_file"), "rb") as f:
        image_bytes = f.read()
    if images_out is None:
        sample["jpg"] = image_bytes
    else:
        with open(os.path.join(images_out, sample["__key__"] + ".jpg"), "wb") as f:
            f.write(image_bytes)
    if "caption" in item:
        sample["txt"] = item.pop("caption")
    if "text" in item:
        sample["txt"] = item.pop("text")
    json_data = {k: item.pop(k) for k in list(item.keys()) if (k.startswith("syn_text") or "_captions" in k) and not (k.endswith("embedding") or k.endswith("emb"))}
    if len(json_data) > 0:
        sample["syn.json"] = json.dumps(json_data)
    if "param_aug" in item:
        sample["paug.json"] = json.dumps({"param_aug": item.pop("param_aug")})
    emb_data = {k.replace("embedding", "emb"): item.pop(k) for k in list(item.keys()) if "emb" in k}
    if len(emb_data) > 0:
        if bfloat16:
            sample["pth.gz"] = gzip.compress(torch_save_bf16(emb_data))
        else:
            stream = io.BytesIO()
            np.savez_compressed(stream, **emb_data)  # webdataset numpy_npz_dumps
            sample["npz"] = stream.getvalue()
    sample["json"] = json.dumps(item)
    return sample


def tar_write(tarstream, obj):
    """webdataset TarWriter.write (user/group "bigdata", mode 0o444, mtime = now, keys sorted)."""
    key = obj["__key__"]
    for k in sorted(obj.keys()):
        if k == "__key__":
            continue
        v = obj[k]
        if isinstance(v, str):
            v = v.encode("utf-8")
        ti = tarfile.TarInfo(key + "." + k)
        ti.size = len(v)
        ti.mtime = time.time()
        ti.mode = 0o0444
        ti.uname = "bigdata"
        ti.gname = "bigdata"
        tarstream.addfile(ti, io.BytesIO(v))


def write_jsonl(path, lines):
    """driver_utils.write_manifest: jsonlines, then one more newline."""
    with open(path, "wb") as f:
        f.write("".join(json.dumps(line) + "\n" for line in lines).encode())
        f.write("\n".encode())


def cmd_shards(work_dir, emb_dir, out_dir, aug_config_json, *flags):
    bfloat16 = "--bfloat16" in flags
    shard_size = int(flags[flags.index("--shard-size") + 1]) if "--shard-size" in flags else 1000
    images_out = flags[flags.index("--no-images") + 1] if "--no-images" in flags else None
    if images_out:
        os.makedirs(images_out, exist_ok=True)
    with open(os.path.join(work_dir, "items.json"), encoding="utf-8") as f:
        items = json.load(f)
    for item in items:
        for name in ("image_emb", "text_emb", "syn_text_emb"):
            item[name] = np.load(os.path.join(emb_dir, f"{item['uid']}.{name}.npy"))
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    for index, start in enumerate(range(0, len(items), shard_size)):
        name = f"{index:08}"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w|") as tarstream:
            for item in items[start:start + shard_size]:
                tar_write(tarstream, process_item(dict(item), bfloat16, images_out))
        with open(os.path.join(out_dir, name + ".tar"), "wb") as f:
            f.write(buf.getvalue())
        manifest.append({"shard": name, "num_uids": len(items[start:start + shard_size])})
    write_jsonl(os.path.join(out_dir, "manifest.jsonl"), manifest)
    with open(aug_config_json, encoding="utf-8") as f:
        write_jsonl(os.path.join(out_dir, "config.json"), [json.load(f)])


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"views": cmd_views, "shards": cmd_shards}[command](*args)
