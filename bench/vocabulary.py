"""Fixed word lists for the synthetic corpus.

They are constants (not drawn from the seed) so that every corpus shares one vocabulary of
categories and tags, the way a real site's taxonomy outlives any one note.
"""

from __future__ import annotations

from itertools import product

CATEGORIES = [
    "Computer Vision", "Natural Language Processing", "Reinforcement Learning",
    "Speech Recognition", "Generative Models", "Graph Learning", "Optimization",
    "Learning Theory", "Robotics", "Efficient Inference", "Representation Learning",
    "Multimodal Learning", "Information Retrieval", "Recommender Systems", "Time Series",
    "Federated Learning", "Privacy", "Fairness", "Interpretability", "Robustness",
    "Medical Imaging", "3D Vision", "Video Understanding", "Program Synthesis",
    "Scientific Machine Learning", "Causal Inference", "Bayesian Methods", "Meta-Learning",
    "Continual Learning", "Data-Centric AI",
]

_TAG_MODIFIERS = [
    "sparse", "efficient", "robust", "contrastive", "self-supervised", "low-rank", "causal",
    "diffusion", "autoregressive", "multiscale", "equivariant", "adaptive", "hierarchical",
    "quantized", "distilled", "retrieval-augmented", "few-shot", "zero-shot", "masked",
    "long-context",
]
_TAG_TOPICS = [
    "attention", "transformers", "tokenizers", "decoding", "pretraining", "fine-tuning",
    "alignment", "segmentation", "detection", "super-resolution", "benchmarks", "scaling",
    "agents", "embeddings", "planning",
]
# 20 x 15 = 300 tags, in a fixed order; the order sets each tag's popularity rank.
TAGS = [f"{modifier}-{topic}" for topic, modifier in product(_TAG_TOPICS, _TAG_MODIFIERS)]

VENUES = [
    "CVPR", "ICCV", "ECCV", "NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "NAACL", "AAAI",
    "IJCAI", "KDD", "SIGIR", "WWW", "CoRL", "RSS", "MICCAI", "TMLR", "JMLR", "Interspeech",
]
VENUE_SUFFIXES = ["Oral", "Spotlight", "Highlight", "Workshop", "Findings"]

TASKS = [
    "image classification", "object detection", "semantic segmentation", "image super-resolution",
    "machine translation", "question answering", "summarization", "code generation",
    "speech recognition", "text-to-image generation", "video generation", "depth estimation",
    "pose estimation", "link prediction", "node classification", "offline reinforcement learning",
    "robotic manipulation", "forecasting", "retrieval", "recommendation", "anomaly detection",
    "language modeling", "visual question answering", "novel view synthesis",
]

FIRST_NAMES = [
    "Ada", "Alan", "Bo", "Chen", "Daniela", "Emre", "Farah", "Gustavo", "Hana", "Ilya", "Jun",
    "Kavya", "Lars", "Mei", "Noam", "Olga", "Priya", "Quentin", "Rafael", "Sofia", "Tomasz",
    "Uma", "Vikram", "Wen", "Xin", "Yuki", "Zainab", "Min-jun", "Seo-yeon", "Jiho",
]
LAST_NAMES = [
    "Abbasi", "Bianchi", "Chen", "Dubois", "Eriksson", "Fernandes", "Garcia", "Hoffmann",
    "Ito", "Jensen", "Kim", "Li", "Martin", "Nakamura", "Okafor", "Park", "Quispe", "Rossi",
    "Singh", "Tanaka", "Ueda", "Volkov", "Wang", "Xu", "Yilmaz", "Zhang", "Lee", "Novak",
]

ADJECTIVES = [
    "sparse", "efficient", "robust", "scalable", "lightweight", "hierarchical", "adaptive",
    "contrastive", "generative", "discriminative", "probabilistic", "implicit", "explicit",
    "modular", "unified", "compositional", "multiscale", "latent", "structured", "stable",
    "expressive", "calibrated", "memory-efficient", "data-efficient", "parameter-efficient",
]
NOUNS = [
    "encoder", "decoder", "backbone", "objective", "regularizer", "prior", "attention map",
    "token mixer", "memory bank", "codebook", "adapter", "router", "teacher", "student",
    "critic", "policy", "reward model", "feature pyramid", "embedding space", "loss surface",
    "training recipe", "data pipeline", "noise schedule", "sampler", "tokenizer",
]
VERBS = [
    "improves", "stabilizes", "simplifies", "accelerates", "regularizes", "generalizes",
    "outperforms", "matches", "compresses", "aligns", "decouples", "recovers", "amplifies",
]
METHOD_PREFIXES = ["Sparse", "Flash", "Meta", "Omni", "Hyper", "Neuro", "Deep", "Fast", "Uni"]
METHOD_SUFFIXES = ["Former", "Net", "Diff", "Mixer", "GPT", "Flow", "Fusion", "Align", "Zoom"]
DATASETS = [
    "ImageNet", "COCO", "ADE20K", "Cityscapes", "Kinetics-400", "LibriSpeech", "WMT14",
    "SQuAD", "GSM8K", "HumanEval", "MMLU", "OGB-Arxiv", "D4RL", "ScanNet", "DIV2K", "LAION-5B",
]
METRICS = ["top-1 accuracy", "mAP", "mIoU", "PSNR", "BLEU", "F1", "exact match", "FID",
           "word error rate", "pass@1", "NDCG@10", "return"]
SECTION_TITLES = ["Problem", "Background", "Method", "Experiments", "Results", "Ablations",
                  "Limitations", "Takeaways", "Open questions"]
GITHUB_ORGS = ["openlab", "visionrg", "nlp-group", "deepmind-lab", "fair-research", "mlsys",
               "kaist-ai", "snu-vision", "tsinghua-ml", "eth-cvl"]

# Sentence patterns; each slot name is filled from the matching list above.
SENTENCES = [
    "The authors propose a new {adj} {noun} that {verb} training on {dataset}.",
    "Compared with prior work, the {noun} is {adj} and {verb} the baseline by a clear margin.",
    "One {adj} {noun} replaces the usual {noun2}, which keeps the cost of inference low.",
    "On {dataset} the method reaches a {metric} that {verb} strong baselines.",
    "The key observation is that the {noun} is rarely the bottleneck once the {noun2} is "
    "{adj}.",
    "Ablations show that removing the {adj} {noun} hurts {metric} the most.",
    "Training uses a standard recipe, except that the {noun} is frozen for the first epochs.",
    "I found the argument about the {noun2} convincing, but the evidence on {dataset} is thin.",
    "The paper {verb} earlier results on {task} without any extra data.",
    "Most of the gain comes from the {adj} {noun2}, not from the larger model.",
    "This design {verb} the interaction between the {noun} and the {noun2}.",
    "The appendix reports {metric} on {dataset}, where the trend is the same.",
    "It would be interesting to see whether the {adj} {noun} transfers to {task}.",
    "The method is simple to implement: one {noun}, one {noun2} and one extra loss term.",
    "Scaling the {noun} further {verb} the results, but only up to a point.",
    "The comparison with {method} is fair because both use the same {noun2}.",
    "Unlike {method}, the approach needs no {adj} {noun} at test time.",
    "The authors release code and checkpoints, which makes the {task} results easy to check.",
]

# Tags that real vaults spell differently from note to note ("LLM" on one, "llm" on another):
# each spelling of a group has the same slug, so every tool must make one tag page of them.
CASE_TAG_GROUPS = [
    ("LLM", "llm", "Llm"), ("RLHF", "rlhf"), ("ViT", "vit", "VIT"), ("NeRF", "nerf", "Nerf"),
    ("Diffusion", "diffusion"), ("MoE", "moe"), ("CLIP", "clip", "Clip"), ("LoRA", "lora"),
]
