#!/usr/bin/env python3
"""Linear probes on a Tessera base model's image features: do they hold MedSynth's findings?

    python3 scripts/probe_features.py MODEL_DIR DATA_DIR

MODEL_DIR is a model in HF LLaVA format (`tessera model pretrain` writes one), DATA_DIR a MedSynth
directory at the model's image size (`tessera data synth --image-size N`). Labels per image come
from the open VQA items (ABN, POS, SIZE, COUNT, modality). Each probe is fitted on the public split
and scored on the global test split. Linear probes (logistic regression, L-BFGS, L2) on: 16×16
average-pooled pixels, the vision tower's patch features (layer `vision_feature_layer`, all
patches concatenated), their mean over patches, and the projector's outputs for every patch.

A linear probe on concatenated patches may use which patch holds a lesion, which a language model
reading the patches as a sequence cannot do directly: it finds a lesion by what it looks like
(attention) and must read its place from the patch's own features. So two attention-pool probes
(a learned query per head over the patches, then a linear classifier; Adam) score what such a
reader can get: over the tower's patch features and over the projector's outputs.
Prints held-out accuracy per attribute beside the majority share.

Needs torch, transformers and pillow (not part of `make test`; a diagnostic for ML engineers).
"""
import collections
import json
import sys

import numpy as np
import torch
from PIL import Image
from transformers import LlavaForConditionalGeneration

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
ATTRIBUTES = ["modality", "abnormal", "side", "region", "size", "count"]


def load_split(data, split):
    """Image names, their attribute labels and their pixels (N, H, W) in [0, 1]."""
    labels = collections.defaultdict(dict)
    for item in json.load(open(f"{data}/{split}/vqa.json")):
        if item["answer_type"] != "OPEN":
            continue
        kind, answer, image = item["question_type"], item["answer"], item["image_name"]
        if kind == "ABN":
            labels[image]["abnormal"] = "no" if answer == "none" else "yes"
            labels[image]["modality"] = item["modality"]
        elif kind == "POS":
            labels[image]["side" if answer in ("left", "right") else "region"] = answer
        elif kind == "SIZE":
            labels[image]["size"] = answer
        elif kind == "COUNT":
            labels[image]["count"] = answer
    names = sorted(labels)
    pixels = torch.stack([torch.from_numpy(np.asarray(Image.open(f"{data}/{split}/{name}").convert("L"), dtype=np.float32) / 255)
                          for name in names])
    return names, labels, pixels


def features(model, pixels):
    """The four probe inputs, each (N, F)."""
    x = (pixels[:, None].repeat(1, 3, 1, 1) - CLIP_MEAN) / CLIP_STD
    patches, projected = [], []
    with torch.no_grad():
        for start in range(0, len(x), 128):
            hidden = model.model.vision_tower(x[start:start + 128], output_hidden_states=True).hidden_states
            h = hidden[model.config.vision_feature_layer][:, 1:]
            patches.append(h)
            projected.append(model.model.multi_modal_projector(h).flatten(1))
    patches = torch.cat(patches)
    pool = max(1, pixels.shape[-1] // 16)
    projected = torch.cat(projected)
    return {"pixels 16×16": torch.nn.functional.avg_pool2d(pixels[:, None], pool).flatten(1),
            "patch features": patches.flatten(1),
            "mean patch feature": patches.mean(1),
            "projected patches": projected,
            "attention: patches": patches,
            "attention: projected": projected.view(len(patches), patches.shape[1], -1)}


def attention_probe(train_x, train_y, test_x, test_y, heads=4, width=32, epochs=300):
    """Held-out accuracy of an attention pool over `(N, P, F)` patch features: per head, a learned
    query scores each (standardised) patch, the softmax-weighted values are concatenated and
    classified linearly."""
    mean, scale = train_x.mean((0, 1)), train_x.std((0, 1)) + 1e-5
    train_x, test_x = (train_x - mean) / scale, (test_x - mean) / scale
    classes = {c: i for i, c in enumerate(sorted(set(train_y)))}
    targets = torch.tensor([classes[c] for c in train_y])
    truth = torch.tensor([classes.get(c, -1) for c in test_y])
    scores = torch.nn.Linear(train_x.shape[-1], heads)
    values = torch.nn.Linear(train_x.shape[-1], heads * width)
    classify = torch.nn.Linear(heads * width, len(classes))
    modules = [scores, values, classify]
    optimizer = torch.optim.Adam([p for m in modules for p in m.parameters()], lr=3e-3, weight_decay=1e-3)

    def logits(x):
        weights = torch.softmax(scores(x), dim=1)
        pooled = torch.einsum("nph,nphc->nhc", weights, values(x).view(x.shape[0], x.shape[1], heads, width))
        return classify(pooled.flatten(1))

    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(logits(train_x), targets).backward()
        optimizer.step()
    with torch.no_grad():
        return (logits(test_x).argmax(1) == truth).float().mean().item()


def probe(train_x, train_y, test_x, test_y):
    """Held-out accuracy of an L2-regularised logistic regression."""
    mean, scale = train_x.mean(0), train_x.std(0) + 1e-5
    train_x, test_x = (train_x - mean) / scale, (test_x - mean) / scale
    classes = {c: i for i, c in enumerate(sorted(set(train_y)))}
    targets = torch.tensor([classes[c] for c in train_y])
    truth = torch.tensor([classes.get(c, -1) for c in test_y])
    weight = torch.zeros(train_x.shape[1], len(classes), requires_grad=True)
    bias = torch.zeros(len(classes), requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=200)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(train_x @ weight + bias, targets) + 1e-3 * (weight * weight).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return ((test_x @ weight + bias).argmax(1) == truth).float().mean().item()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration.from_pretrained(sys.argv[1]).eval()
    train_names, train_labels, train_pixels = load_split(sys.argv[2], "public")
    test_names, test_labels, test_pixels = load_split(sys.argv[2], "test")
    train_features, test_features = features(model, train_pixels), features(model, test_pixels)
    print(f"{'attribute':10} {'test images':>11} {'majority %':>10} " + " ".join(f"{name:>20}" for name in train_features))
    for attribute in ATTRIBUTES:
        train_rows = [i for i, name in enumerate(train_names) if attribute in train_labels[name]]
        test_rows = [i for i, name in enumerate(test_names) if attribute in test_labels[name]]
        train_y = [train_labels[train_names[i]][attribute] for i in train_rows]
        test_y = [test_labels[test_names[i]][attribute] for i in test_rows]
        majority = max(collections.Counter(test_y).values()) / len(test_y)
        scores = [(attention_probe if name.startswith("attention") else probe)(
                      train_features[name][train_rows], train_y, test_features[name][test_rows], test_y)
                  for name in train_features]
        print(f"{attribute:10} {len(test_rows):11d} {majority * 100:10.1f} " + " ".join(f"{s * 100:20.1f}" for s in scores))


if __name__ == "__main__":
    main()
