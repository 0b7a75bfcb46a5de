"""Edge cases for the byte-level BPE tokenizer, encoded by HF `tokenizers` with the fixture tokenizer.

Writes, next to this script, [{"text": ..., "ids": [...]}, ...] for:
  tokenizer_extra_cases.json         the fixture tokenizer as is
  tokenizer_prefix_space_cases.json  the same with the pre-tokenizer's add_prefix_space=True
Run: python make_tokenizer_extra_cases.py   (needs: pip install tokenizers; made with 0.23.3)
"""
import json, os
from tokenizers import Tokenizer, pre_tokenizers

here = os.path.dirname(os.path.abspath(__file__))
tok = Tokenizer.from_file(os.path.join(here, "tokenizer.json"))
cases = [
    "",
    " ",
    "   ",
    "a  b   c",
    "trailing spaces   ",
    "\n\n\nThree newlines then text",
    "line\r\nwindows line\r\n",
    "tab\t\tdouble and space-tab \t x",
    "don't we'll they're I've I'm he'd it's",
    "DON'T SHOUT'S 'S 'll ' 'x '",
    "<image>\nWhat is shown?",
    "<s>USER: <image> Describe the lesion.</s>",
    "no space<image>before and after<image>",
    "<image><image><image>",
    "almost <imag> and <image",
    "nbsp\u00a0here and\u2003em space and\u3000ideographic",
    "e\u0301 decomposed vs \u00e9 composed",
    "中文 CT 扫描显示肺结节。日本語のテキスト",
    "Roman Ⅻ circled ① superscript ² fractions ½ arabic ٣",
    "family 👨‍👩‍👧 flag 🇨🇭 skin 👍🏽",
    "punctuation!!! ... ??? --- (a) [b] {c} \"quoted\" 'single'",
    "math: 2+2=4, 3.14159, -7, 1e-5, 10^6, 50%",
    "  \t mixed \n  whitespace \t",
    "x" * 300,
    "word " * 50,
]
json.dump([{"text": t, "ids": tok.encode(t).ids} for t in cases],
          open(os.path.join(here, "tokenizer_extra_cases.json"), "w"), ensure_ascii=False, indent=1)
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
prefix_cases = ["Is there a nodule?", " Already spaced", "\nnewline first", "<image>\nDescribe it.", "a<image>b <image> c", ""]
json.dump([{"text": t, "ids": tok.encode(t).ids} for t in prefix_cases],
          open(os.path.join(here, "tokenizer_prefix_space_cases.json"), "w"), ensure_ascii=False, indent=1)
print("wrote", len(cases), "and", len(prefix_cases), "cases")
