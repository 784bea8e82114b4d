"""Tiny Stable Diffusion pipelines built from config on CPU (no downloads), after diffusers'
`get_dummy_components()`; the tokenizer is a byte-level CLIP vocabulary written to a temp folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKL,
    ControlNetModel,
    DDIMScheduler,
    StableDiffusionControlNetImg2ImgPipeline,
    StableDiffusionImg2ImgPipeline,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer


def _byte_chars() -> list[str]:
    """GPT-2/CLIP byte-to-unicode table: printable bytes map to themselves, the rest above 255."""
    keep = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars, extra = [], 0
    for b in range(256):
        if b in keep:
            chars.append(chr(b))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars


def tiny_tokenizer(folder: Path) -> CLIPTokenizer:
    chars = _byte_chars()
    vocab = {c: i for i, c in enumerate(chars)}
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=32)


def tiny_components(folder: Path) -> dict[str, Any]:
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=16, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, norm_num_groups=4, attention_head_dim=4,
    )  # fmt: skip
    torch.manual_seed(0)
    vae = AutoencoderKL(
        block_out_channels=[8, 16], in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2, latent_channels=4, norm_num_groups=4,
    )  # fmt: skip
    torch.manual_seed(0)
    text = CLIPTextModel(CLIPTextConfig(bos_token_id=512, eos_token_id=513, hidden_size=16, intermediate_size=32, layer_norm_eps=1e-5,
                                        num_attention_heads=2, num_hidden_layers=2, pad_token_id=513, vocab_size=600,
                                        max_position_embeddings=32))  # fmt: skip
    return {"unet": unet, "vae": vae, "text_encoder": text, "tokenizer": tiny_tokenizer(folder / "tokenizer"),
            "scheduler": DDIMScheduler(beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1),
            "safety_checker": None, "feature_extractor": None, "image_encoder": None}  # fmt: skip


def tiny_pipeline(folder: Path) -> StableDiffusionPipeline:
    pipe = StableDiffusionPipeline(**tiny_components(folder), requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tiny_img2img(pipe: StableDiffusionPipeline) -> StableDiffusionImg2ImgPipeline:
    p = StableDiffusionImg2ImgPipeline(**pipe.components, requires_safety_checker=False)
    p.set_progress_bar_config(disable=True)
    return p


def tiny_controlnet_img2img(pipe: StableDiffusionPipeline) -> StableDiffusionControlNetImg2ImgPipeline:
    torch.manual_seed(0)
    cn = ControlNetModel(block_out_channels=(8, 16), layers_per_block=1, in_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                         cross_attention_dim=16, conditioning_embedding_out_channels=(8, 16), norm_num_groups=4, attention_head_dim=4)  # fmt: skip
    with torch.no_grad():  # a trained ControlNet's output convs are not zero; make the depth matter
        for name, param in cn.named_parameters():
            if name.startswith(
                ("controlnet_down_blocks", "controlnet_mid_block", "controlnet_cond_embedding.conv_out")
            ):
                param.normal_(0.0, 0.3)
    p = StableDiffusionControlNetImg2ImgPipeline(
        **pipe.components, controlnet=cn, requires_safety_checker=False
    )
    p.set_progress_bar_config(disable=True)
    return p
