#!/usr/bin/env python3
"""Can a Tessera base model learn to read a finding's place and size? Fine-tune it in PyTorch on
MedSynth's open position and size questions alone and watch the answer accuracy.

    python3 scripts/finetune_findings.py MODEL_DIR DATA_DIR [--steps N] [--train all|language]
                                         [--learning-rate LR] [--types POS,SIZE] [--answers left,right]
                                         [--batch-size N]

MODEL_DIR is a model in HF LLaVA format with its tokenizer.json (`tessera model pretrain` writes
one), DATA_DIR a MedSynth directory at the model's image size. The open items of the chosen
question types in DATA/public/vqa.json are the training set; those in DATA/test/vqa.json the test
set (`--answers` keeps only the items with those answers). Each is encoded as Tessera's trainer
does (vicuna_v1, empty system line: `<s> USER: <image>
tokens\\nQUESTION ASSISTANT: ANSWER</s>`, loss on the answer and `</s>`). AdamW, batch 32, a
constant learning rate; `--train language` trains the projector and language model, `all` the
vision tower too. Every 250 steps it prints the loss and the accuracy of the first answer token
(left/right, upper/lower, small/large) on 300 training items and on the test items: 50% is chance.

Needs torch, transformers and pillow (not part of `make test`; a diagnostic for ML engineers).
"""
import argparse
import json
import random

import numpy as np
import torch
from PIL import Image
from transformers import LlavaForConditionalGeneration, PreTrainedTokenizerFast

from probe_features import CLIP_MEAN, CLIP_STD  # (1, 3, 1, 1), beside this script


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--train", choices=["all", "language"], default="language")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--types", default="POS,SIZE")
    parser.add_argument("--answers", default="", help="keep only items with these answers (comma-separated)")
    parser.add_argument("--batch-size", type=int, default=32)
    arguments = parser.parse_args()
    torch.manual_seed(0)
    random.seed(0)

    model = LlavaForConditionalGeneration.from_pretrained(arguments.model)
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=f"{arguments.model}/tokenizer.json")
    config = model.config
    image_tokens = (config.vision_config.image_size // config.vision_config.patch_size) ** 2
    bos, eos = config.text_config.bos_token_id, config.text_config.eos_token_id
    types = set(arguments.types.split(","))
    answers = set(arguments.answers.split(",")) - {""}

    def encode(text):
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    def load(split):
        examples = []
        for item in json.load(open(f"{arguments.data}/{split}/vqa.json")):
            if item["answer_type"] != "OPEN" or item["question_type"] not in types or answers and item["answer"] not in answers:
                continue
            prompt = [bos] + encode(" USER: ") + [config.image_token_index] * image_tokens \
                + encode("\n" + item["question"]) + encode(" ASSISTANT:")
            answer = encode(" " + item["answer"]) + [eos]
            grey = np.asarray(Image.open(f"{arguments.data}/{split}/{item['image_name']}").convert("L"), dtype=np.float32) / 255
            pixels = ((torch.from_numpy(grey)[None].repeat(3, 1, 1) - CLIP_MEAN) / CLIP_STD)[0]
            examples.append((prompt + answer, [-100] * len(prompt) + answer, pixels))
        return examples

    train, test = load("public"), load("test")
    for name, parameter in model.named_parameters():
        parameter.requires_grad = arguments.train == "all" or "vision_tower" not in name
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=arguments.learning_rate, weight_decay=0)

    def batch(examples):
        """Padded token ids, labels and attention mask `(B, T)`, and pixels `(B, 3, H, W)`."""
        length = max(len(tokens) for tokens, _, _ in examples)
        padding = [length - len(tokens) for tokens, _, _ in examples]
        ids = torch.tensor([tokens + [eos] * pad for (tokens, _, _), pad in zip(examples, padding)])
        labels = torch.tensor([targets + [-100] * pad for (_, targets, _), pad in zip(examples, padding)])
        mask = torch.tensor([[1] * (length - pad) + [0] * pad for pad in padding])
        return ids, labels, mask, torch.stack([pixels for _, _, pixels in examples])

    def first_token_accuracy(examples):
        model.eval()
        right = 0
        with torch.no_grad():
            for start in range(0, len(examples), 64):
                ids, labels, mask, pixels = batch(examples[start:start + 64])
                logits = model(input_ids=ids, attention_mask=mask, pixel_values=pixels).logits
                for row in range(len(ids)):
                    first = (labels[row] != -100).nonzero()[0].item()
                    right += int(logits[row, first - 1].argmax().item() == labels[row, first].item())
        model.train()
        return right / len(examples)

    print(f"{len(train)} training and {len(test)} test questions ({arguments.types}); training {arguments.train}")
    print(f"step 0: train {first_token_accuracy(train[:300]) * 100:.1f}%, test {first_token_accuracy(test) * 100:.1f}%", flush=True)
    for step in range(1, arguments.steps + 1):
        ids, labels, mask, pixels = batch(random.sample(train, arguments.batch_size))
        loss = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 250 == 0 or step == arguments.steps:
            print(f"step {step}: loss {loss.item():.3f}, train {first_token_accuracy(train[:300]) * 100:.1f}%, "
                  f"test {first_token_accuracy(test) * 100:.1f}%", flush=True)


if __name__ == "__main__":
    main()
