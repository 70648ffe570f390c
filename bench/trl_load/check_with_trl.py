"""Feed Assay's Parquet exports to TRL itself: its format helpers, then a few training steps per trainer.

Runs in a separate venv with TRL and a CPU torch (uv would fetch a CUDA torch; pip takes the local wheel):

    python3 -m venv /work/peers/trl
    /work/peers/trl/bin/pip install torch==2.13.0 && /work/peers/trl/bin/pip install trl torch==2.13.0
    UV_PYTHON_DOWNLOADS=never uv run python bench/trl_load/make_exports.py /tmp/assay-trl-exports
    /work/peers/trl/bin/python bench/trl_load/check_with_trl.py /tmp/assay-trl-exports

Nothing is downloaded: the tokenizer is a small byte-level BPE trained in memory on the exported text,
with a ChatML-like chat template, and the models are tiny randomly initialised Llamas. For each export it
checks `is_conversational`, `maybe_extract_prompt` and `maybe_apply_chat_template` on every row, then runs
DPOTrainer, RewardTrainer (explicit and implicit prompt), KTOTrainer and SFTTrainer for `--steps` steps.
Prints one line per check and exits non-zero when any fails.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
import trl
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
)
from trl.data_utils import is_conversational, maybe_apply_chat_template, maybe_extract_prompt

import datasets

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
EXPECTED_KEYS = {
    "dpo": {"prompt", "chosen", "rejected"},
    "reward": {"prompt", "chosen", "rejected"},
    "reward_implicit": {"prompt", "chosen", "rejected"},  # maybe_extract_prompt adds the prompt
    "kto": {"prompt", "completion"},
    "sft": {"text"},
}


def load(root: Path, name: str) -> datasets.Dataset:
    return datasets.load_dataset("parquet", data_files={"train": str(root / name / "train.parquet")},
                                 cache_dir=str(root / ".hf-cache"))["train"]


def make_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=512, special_tokens=special,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|pad|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(tokenizer: PreTrainedTokenizerFast, **extra: Any) -> LlamaConfig:
    return LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                       pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, **extra)


def check_helpers(name: str, ds: datasets.Dataset, tokenizer: PreTrainedTokenizerFast) -> None:
    for row in ds:
        assert is_conversational(row), f"{name}: row not conversational"
        row = maybe_extract_prompt(row)
        out = maybe_apply_chat_template(row, tokenizer)
        missing = EXPECTED_KEYS[name] - set(out)
        assert not missing, f"{name}: chat template output lacks {missing}"
        assert all(isinstance(out[k], str) and out[k] for k in EXPECTED_KEYS[name]), name


def train(name: str, ds: datasets.Dataset, tokenizer: PreTrainedTokenizerFast, steps: int, out: str) -> float:
    common: dict[str, Any] = {"output_dir": out, "max_steps": steps, "per_device_train_batch_size": 2,
                              "report_to": "none", "save_strategy": "no", "logging_steps": 1, "use_cpu": True,
                              "max_length": 256, "seed": 0}
    ds = ds.select(range(min(len(ds), 4 * steps)))
    if name == "dpo":
        trainer: Any = trl.DPOTrainer(model=LlamaForCausalLM(tiny_config(tokenizer)),
                                      ref_model=LlamaForCausalLM(tiny_config(tokenizer)),
                                      args=trl.DPOConfig(**common), train_dataset=ds, processing_class=tokenizer)
    elif name.startswith("reward"):
        model = LlamaForSequenceClassification(tiny_config(tokenizer, num_labels=1))
        trainer = trl.RewardTrainer(model=model, args=trl.RewardConfig(**common), train_dataset=ds,
                                    processing_class=tokenizer)
    elif name == "kto":
        # a model built from a config has no hub id to reload a reference from: pass one explicitly
        trainer = trl.KTOTrainer(model=LlamaForCausalLM(tiny_config(tokenizer)),
                                 ref_model=LlamaForCausalLM(tiny_config(tokenizer)), args=trl.KTOConfig(**common),
                                 train_dataset=ds, processing_class=tokenizer)
    else:
        trainer = trl.SFTTrainer(model=LlamaForCausalLM(tiny_config(tokenizer)), args=trl.SFTConfig(**common),
                                 train_dataset=ds, processing_class=tokenizer)
    result = trainer.train()
    loss = float(result.training_loss)
    assert math.isfinite(loss), f"{name}: loss {loss}"
    return loss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exports", type=Path)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=list(EXPECTED_KEYS))
    args = parser.parse_args()
    torch.manual_seed(0)
    sets = {name: load(args.exports, name) for name in args.only}
    texts = [m["content"] for ds in sets.values() for row in ds.select(range(min(len(ds), 200)))
             for col in ("prompt", "chosen", "rejected", "completion", "messages") if col in row for m in row[col]]
    tokenizer = make_tokenizer(texts)
    print(f"trl {trl.__version__}, torch {torch.__version__}, datasets {datasets.__version__}")
    failed = 0
    for name, ds in sets.items():
        for what in ("helpers", "train"):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                if what == "helpers":
                    check_helpers(name, ds, tokenizer)
                    detail = f"{len(ds)} rows"
                else:
                    with tempfile.TemporaryDirectory() as out:
                        detail = f"{args.steps} steps, loss {train(name, ds, tokenizer, args.steps, out):.4f}"
                status = "ok"
            except Exception:  # noqa: BLE001 - report every failure, then exit non-zero
                failed += 1
                status, detail = "FAIL", traceback.format_exc(limit=3).strip().splitlines()[-1]
            print(f"{name:16s} {what:8s} {status:4s} {detail}  ({time.perf_counter() - t0:.1f} s wall, "
                  f"{time.process_time() - c0:.1f} s CPU)", flush=True)
    print(f"reproduce: /work/peers/trl/bin/python bench/trl_load/check_with_trl.py {args.exports}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
