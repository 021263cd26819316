"""An independent twin of the code that reads a reinforced dataset for MobileCLIP training.

Written for the tests from the other side's own code, with only numpy and PIL (Debian's
python3-numpy and python3-pil), never from our TypeScript writer:

- webdataset 0.2.x: tar_file_iterator / base_plus_ext (tariterators.py), the "pilrgba" ImageHandler
  and the basic decoders (autodecode.py);
- open_clip's data.py at 7260a46: group_by_keys_nothrow, filter_no_caption_or_no_image;
- apple/ml-mobileclip training/open_clip_v2.patch: get_wds_dataset's DR pipeline and preprocess_dr;
- apple/ml-mobileclip training/dr/transforms.py: clean_config, compose_from_config, Compose
  (__call__, reapply, compress, decompress), RandomResizedCrop, RandomHorizontalFlip, RandAugment;
- torchvision's PIL code paths those transforms end in (transforms.RandomResizedCrop.get_params,
  functional.resized_crop/affine/rotate, _get_inverse_affine_matrix, functional_pil, autoaugment's
  _apply_op and _augmentation_space), with torch's random draws replaced by a numpy Generator.

Tensors are numpy float32 arrays (CHW) where torchvision has torch tensors.
"""
import io
import json
import math
import re
import tarfile
from collections import OrderedDict

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

_R = getattr(Image, "Resampling", Image)
PIL_INTERPOLATION = {
    "nearest": _R.NEAREST, "nearest-exact": _R.NEAREST, "bilinear": _R.BILINEAR, "bicubic": _R.BICUBIC,
    "box": _R.BOX, "hamming": _R.HAMMING, "lanczos": _R.LANCZOS,
}
AFFINE = getattr(Image, "Transform", Image).AFFINE
FLIP_LEFT_RIGHT = getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT

# ---------------------------------------------------------------- webdataset + open_clip


def base_plus_ext(path):
    match = re.match(r"^((?:.*/|)[^.]+)[.]([^/]*)$", path)
    if not match:
        return None, None
    return match.group(1), match.group(2)


def tar_file_iterator(fileobj, skip_meta=r"__[^/]*__($|/)"):
    stream = tarfile.open(fileobj=fileobj, mode="r|*")
    for tarinfo in stream:
        fname = tarinfo.name
        if not tarinfo.isreg():
            continue
        if fname is None:
            continue
        if "/" not in fname and fname.startswith("__") and fname.endswith("__"):
            continue
        if skip_meta is not None and re.match(skip_meta, fname):
            continue
        data = stream.extractfile(tarinfo).read()
        yield dict(fname=fname, data=data)


def valid_sample(sample):
    return sample is not None and isinstance(sample, dict) and len(list(sample.keys())) > 0 and not sample.get("__bad__", False)


def group_by_keys_nothrow(data, keys=base_plus_ext, lcase=True, suffixes=None):
    current_sample = None
    for filesample in data:
        fname, value = filesample["fname"], filesample["data"]
        prefix, suffix = keys(fname)
        if prefix is None:
            continue
        if lcase:
            suffix = suffix.lower()
        if current_sample is None or prefix != current_sample["__key__"] or suffix in current_sample:
            if valid_sample(current_sample):
                yield current_sample
            current_sample = dict(__key__=prefix, __url__=filesample.get("__url__"))
        if suffixes is None or suffix in suffixes:
            current_sample[suffix] = value
    if valid_sample(current_sample):
        yield current_sample


def tarfile_to_samples(path):
    with open(path, "rb") as f:
        files = tar_file_iterator(f)
        for sample in group_by_keys_nothrow(files):
            yield sample


def filter_no_caption_or_no_image(sample):
    has_caption = "txt" in sample
    has_image = "png" in sample or "jpg" in sample or "jpeg" in sample or "webp" in sample
    return has_caption and has_image


IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "ppm", "pgm", "pbm", "pnm", "webp"}


def decode_pilrgba(key, data):
    """webdataset ImageHandler("pilrgba")."""
    extension = re.sub(r".*[.]", "", key)
    if extension.lower() not in IMAGE_EXTENSIONS:
        return None
    with io.BytesIO(data) as stream:
        img = Image.open(stream)
        img.load()
        img = img.convert("RGBA")
    return img.convert("RGBA")


def basichandlers(key, data):
    extension = re.sub(r".*[.]", "", key)
    if extension in ("txt", "text"):
        return data.decode("utf-8")
    if extension in ("json", "jsn"):
        return json.loads(data)
    if extension == "npz":
        return dict(np.load(io.BytesIO(data)))
    return None


def decode_sample(sample):
    """wds.decode("pilrgba"): every member through the image handler, then the basic handlers."""
    result = {}
    for k, v in sample.items():
        if k.startswith("__"):
            result[k] = v
            continue
        key = "." + k
        r = decode_pilrgba(key, v)
        if r is None:
            r = basichandlers(key, v)
        result[k] = v if r is None else r
    return result


def rename_image_text(sample):
    """wds.rename(image="jpg;png;jpeg;webp", text="txt")."""
    out = {k: v for k, v in sample.items() if k not in ("jpg", "png", "jpeg", "webp", "txt")}
    for k in ("jpg", "png", "jpeg", "webp"):
        if k in sample:
            out["image"] = sample[k]
            break
    out["text"] = sample["txt"]
    return out


# ---------------------------------------------------------------- torchvision (PIL code paths)


def _setup_size(size):
    if isinstance(size, int):
        return (size, size)
    if len(size) == 1:
        return (size[0], size[0])
    return tuple(size)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear):
    rot = math.radians(angle)
    sx = math.radians(shear[0])
    sy = math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    matrix = [x / scale for x in matrix]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def F_affine(img, angle, translate, scale, shear, fill=None, center=None):
    """torchvision.transforms.functional.affine for a PIL image, interpolation NEAREST."""
    width, height = img.size
    if center is None:
        center = [width * 0.5, height * 0.5]
    matrix = _get_inverse_affine_matrix(center, float(angle), list(translate), scale, list(shear))
    fill = tuple([int(0 if fill is None else fill)] * len(img.getbands()))
    return img.transform(img.size, AFFINE, matrix, _R.NEAREST, fillcolor=fill)


def F_rotate(img, angle, fill=None):
    fill = tuple([int(0 if fill is None else fill)] * len(img.getbands()))
    return img.rotate(angle, _R.NEAREST, False, None, fillcolor=fill)


def _apply_op(img, op_name, magnitude, fill=None):
    if op_name == "ShearX":
        img = F_affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(magnitude)), 0.0], fill=fill, center=[0, 0])
    elif op_name == "ShearY":
        img = F_affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(magnitude))], fill=fill, center=[0, 0])
    elif op_name == "TranslateX":
        img = F_affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, shear=[0.0, 0.0], fill=fill)
    elif op_name == "TranslateY":
        img = F_affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, shear=[0.0, 0.0], fill=fill)
    elif op_name == "Rotate":
        img = F_rotate(img, magnitude, fill=fill)
    elif op_name == "Brightness":
        img = ImageEnhance.Brightness(img).enhance(1.0 + magnitude)
    elif op_name == "Color":
        img = ImageEnhance.Color(img).enhance(1.0 + magnitude)
    elif op_name == "Contrast":
        img = ImageEnhance.Contrast(img).enhance(1.0 + magnitude)
    elif op_name == "Sharpness":
        img = ImageEnhance.Sharpness(img).enhance(1.0 + magnitude)
    elif op_name == "Posterize":
        img = ImageOps.posterize(img, int(magnitude))
    elif op_name == "Solarize":
        img = ImageOps.solarize(img, magnitude)
    elif op_name == "AutoContrast":
        img = ImageOps.autocontrast(img)
    elif op_name == "Equalize":
        img = ImageOps.equalize(img)
    elif op_name == "Invert":
        img = ImageOps.invert(img)
    elif op_name == "Identity":
        pass
    else:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return img


def linspace_f32(start, end, steps):
    return np.linspace(start, end, steps, dtype=np.float64).astype(np.float32)


# ---------------------------------------------------------------- Apple's dr/transforms.py

NO_PARAM = ()


class RandomResizedCrop:
    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear", antialias=True, rng=None):
        self.size = _setup_size(size)
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.rng = rng
        self.params = None

    def get_params(self, img, scale, ratio):
        if self.params is not None:
            return self.params
        width, height = img.size
        area = height * width
        log_ratio = np.log(np.array(ratio, dtype=np.float32))
        for _ in range(10):
            target_area = area * self.rng.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(self.rng.uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = int(self.rng.integers(0, height - h + 1))
                j = int(self.rng.integers(0, width - w + 1))
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w = width
            h = height
        i = (height - h) // 2
        j = (width - w) // 2
        return i, j, h, w

    def __call__(self, img, params=None, size=None):
        self.params = None
        if params is not None:
            self.params = params
        size_old = self.size
        if size is not None:
            self.size = size
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        self.params = (i, j, h, w)
        # F.resized_crop -> F.crop (img.crop((left, top, right, bottom))) -> F.resize (img.resize((w, h)))
        img = img.crop((j, i, j + w, i + h)).resize((self.size[1], self.size[0]), PIL_INTERPOLATION[self.interpolation])
        self.size = size_old
        return img, self.params

    compress_params = staticmethod(lambda p: p)
    decompress_params = staticmethod(lambda p: p)


class RandomHorizontalFlip:
    def __init__(self, p=0.5, rng=None):
        self.p = p
        self.rng = rng

    def __call__(self, img, params=None):
        if params is None:
            params = self.rng.random() < self.p
        if params:
            img = img.transpose(FLIP_LEFT_RIGHT)
        return img, params

    compress_params = staticmethod(lambda p: p)
    decompress_params = staticmethod(lambda p: p)


class RandAugment:
    op_names = [
        "Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
        "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize",
    ]

    def __init__(self, p=1.0, num_ops=2, magnitude=9, num_magnitude_bins=31, fill=None, rng=None):
        self.p = p
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.fill = fill
        self.rng = rng

    def _augmentation_space(self, num_bins, image_size):
        return {
            "Identity": (np.float32(0.0), False),
            "ShearX": (linspace_f32(0.0, 0.3, num_bins), True),
            "ShearY": (linspace_f32(0.0, 0.3, num_bins), True),
            "TranslateX": (linspace_f32(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "TranslateY": (linspace_f32(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "Rotate": (linspace_f32(0.0, 30.0, num_bins), True),
            "Brightness": (linspace_f32(0.0, 0.9, num_bins), True),
            "Color": (linspace_f32(0.0, 0.9, num_bins), True),
            "Contrast": (linspace_f32(0.0, 0.9, num_bins), True),
            "Sharpness": (linspace_f32(0.0, 0.9, num_bins), True),
            "Posterize": (8 - np.round(np.arange(num_bins) / ((num_bins - 1) / 4)).astype(np.int32), False),
            "Solarize": (linspace_f32(255.0, 0.0, num_bins), False),
            "AutoContrast": (np.float32(0.0), False),
            "Equalize": (np.float32(0.0), False),
        }

    def __call__(self, img, params=None, **kwargs):
        fill = self.fill
        width, height = img.size
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        if params is None:
            if self.rng.random() > self.p:
                return img, None
            params = []
            for _ in range(self.num_ops):
                op_index = int(self.rng.integers(len(op_meta)))
                op_name = list(op_meta.keys())[op_index]
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[self.magnitude].item()) if np.ndim(magnitudes) > 0 else 0.0
                if signed and self.rng.integers(2):
                    magnitude *= -1.0
                params += [(op_name, magnitude)]
        for i in range(self.num_ops):
            op_name, magnitude = params[i]
            img = _apply_op(img, op_name, magnitude, fill=fill)
        return img, params

    @staticmethod
    def compress_params(params):
        if params is None:
            return None
        return [(RandAugment.op_names.index(p[0]), p[1]) for p in params]

    @staticmethod
    def decompress_params(params):
        if params is None:
            return None
        return [(RandAugment.op_names[p[0]], p[1]) for p in params]


class ToTensor:
    def __call__(self, img, **kwargs):
        return np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / np.float32(255.0), NO_PARAM

    compress_params = staticmethod(lambda p: p)
    decompress_params = staticmethod(lambda p: p)


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean = np.asarray(mean, dtype=np.float32)[:, None, None]
        self.std = np.asarray(std, dtype=np.float32)[:, None, None]

    def __call__(self, img, params=None, **kwargs):
        return (img - self.mean) / self.std, NO_PARAM

    compress_params = staticmethod(lambda p: p)
    decompress_params = staticmethod(lambda p: p)


TRANSFORMATION_TO_NAME = OrderedDict([
    ("uint8", None),
    ("resize", None),
    ("center_crop", None),
    ("random_crop", None),
    ("random_resized_crop", RandomResizedCrop),
    ("random_horizontal_flip", RandomHorizontalFlip),
    ("rand_augment", RandAugment),
    ("to_tensor", ToTensor),
    ("random_erase", None),
    ("normalize", Normalize),
    ("mixup", None),
    ("cutmix", None),
])
NO_PARAM_TRANSFORMS = ["uint8", "center_crop", "to_tensor", "normalize"]


def clean_config(config):
    new_config = {}
    for k, v in config.items():
        vv = dict(v)
        if vv.pop("enable", True):
            new_config[k] = vv
    return new_config


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        params = dict()
        for t_name, t in self.transforms:
            img, p = t(img)
            params[t_name] = p
        return img, params

    def reapply(self, img, params, size=None):
        for t_name, t in self.transforms:
            if t_name in params:
                if params[t_name][0] is not None:
                    if t_name == "random_resized_crop":
                        img, _ = t(img, params=params[t_name][0], size=size)
                    else:
                        img, _ = t(img, params=params[t_name][0])
        return img, params

    def compress(self, params):
        params_compressed = []
        for t_name, t in self.transforms:
            p = params[t_name]
            if t_name in NO_PARAM_TRANSFORMS:
                pass
            else:
                params_compressed += [t.compress_params(p)]
        return params_compressed

    def decompress(self, params_compressed):
        params = {}
        with_param_transforms = [(t_name, t) for t_name, t in self.transforms if t_name not in NO_PARAM_TRANSFORMS]
        for p, (t_name, t) in zip(params_compressed, with_param_transforms):
            if p is None:
                pass
            else:
                params[t_name] = (t.decompress_params(p),)
        for t_name, t in self.transforms:
            if t_name in NO_PARAM_TRANSFORMS:
                params[t_name] = (NO_PARAM, NO_PARAM)
        return params


def compose_from_config(config, rng=None):
    config = clean_config(config)
    transforms = []
    for t_name, t_class in TRANSFORMATION_TO_NAME.items():
        if t_name in config:
            if t_class is None:
                raise ValueError(f"transform {t_name} is not part of this twin")
            kwargs = dict(config[t_name])
            if t_class in (RandomResizedCrop, RandomHorizontalFlip, RandAugment):
                kwargs["rng"] = rng
            if t_class is RandomResizedCrop and "scale" in kwargs:
                kwargs["scale"] = tuple(kwargs["scale"])
            if t_class is RandomResizedCrop and "ratio" in kwargs:
                kwargs["ratio"] = tuple(kwargs["ratio"])
            transforms += [(t_name, t_class(**kwargs))]
    return Compose(transforms)


# ---------------------------------------------------------------- the patch's DR pipeline


def dr_transforms_from_config_file(path, rng):
    """get_wds_dataset: rconfig["reinforce"]["image_augmentation"], normalize replaced, Compose built."""
    with open(path, "r") as f:
        rconfig = json.load(f)
    rconfig_aug = rconfig["reinforce"]["image_augmentation"]
    del rconfig_aug["normalize"]
    # open_clip's training preprocess_img has Normalize (MobileCLIP: mean 0, std 1); we keep the
    # crop's size and interpolation from the config (a student with another input size would
    # replace them, see the patch).
    rconfig_aug["normalize"] = {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}
    return compose_from_config(rconfig_aug, rng=rng)


def preprocess_dr(sample, dr_transforms, rng, syn_text_key_regex=r"^syn_text.*$"):
    """The patch's preprocess_dr with distill=False, mix_synthetic=False, sample_sequential=False;
    the tokenizer is left out (texts are returned as strings)."""
    aug_idx = rng.integers(0, len(sample["paug.json"]["param_aug"]))
    params = sample["paug.json"]["param_aug"][aug_idx]
    params = dr_transforms.decompress(params)
    image = sample["image"].convert("RGB")
    image, _ = dr_transforms.reapply(image, params)

    texts = sample["text"]
    texts = [texts] if not isinstance(texts, list) else texts
    capi = rng.integers(0, len(texts))
    text = texts[capi]

    syn_text_keys = [k for k in sample["syn.json"].keys() if re.match(syn_text_key_regex, k)]
    syn_text_i = rng.integers(0, len(syn_text_keys))
    syn_text_i_key = syn_text_keys[syn_text_i]
    syn_text_i_texts = sample["syn.json"][syn_text_i_key]
    scapi = rng.integers(0, len(syn_text_i_texts))
    syn_text = syn_text_i_texts[scapi]

    emb_format = "npz" if "npz" in sample else "pth.gz"
    image_emb = sample[emb_format]["image_emb"][aug_idx]
    text_emb_all = sample[emb_format]["text_emb"]
    text_emb = text_emb_all[capi]
    if len(text_emb_all) > len(texts):
        syn_text_emb = text_emb_all[len(texts) + scapi]
    else:
        syn_text_emb = sample[emb_format][syn_text_i_key + "_emb"][scapi]
    image_emb = np.asarray(image_emb, dtype=np.float32)
    text_emb = np.asarray(text_emb, dtype=np.float32)
    syn_text_emb = np.asarray(syn_text_emb, dtype=np.float32)
    return {
        "image": image, "text": text, "image_emb": image_emb, "text_emb": text_emb,
        "syn_text": syn_text, "syn_text_emb": syn_text_emb,
    }
