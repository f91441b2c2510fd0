# Chapter 8's tokenizer fixtures, made once with tiktoken (pip install tiktoken;
# tested with 0.14.0). No test needs Python: the files this writes are committed.
#
#   python3 Tests/Fixtures/make_fixtures_ch8.py
#
# tiktoken downloads GPT-2's ranks from the internet on first use; here the
# `gpt2` encoding is built from the bundled files instead, exactly as
# tiktoken_ext.openai_public.gpt2() builds it (same loader, same pattern,
# same special token), only from local paths:
#
#   mergeable ranks   data_gym_to_mergeable_bpe_ranks(vocab.bpe, encoder.json)
#   pattern           tiktoken's r50k_pat_str (GPT-2's pattern, written with possessive quantifiers)
#   special tokens    {"<|endoftext|>": 50256}
#
# Writes:
#   ch8_gpt2_tinyshakespeare.u16  the ids of the whole of tinyshakespeare, little-endian UInt16
#                                 (every GPT-2 id is below 65,536), 2 bytes a token
#   ch8_gpt2_cases.jsonl          edge cases, one JSON object a line after a header line:
#                                 {"kind": "encode", name, text, utf8_hex, allowed_special, ids} and
#                                 {"kind": "decode", name, ids, bytes_hex, text} where text is
#                                 tiktoken's decode(ids) (errors="replace": U+FFFD for invalid UTF-8)
import json, os, random, sys

import tiktoken
from tiktoken.load import data_gym_to_mergeable_bpe_ranks
from tiktoken_ext.openai_public import r50k_pat_str

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
data = os.path.join(root, 'Sources', 'Datasets')

ranks = data_gym_to_mergeable_bpe_ranks(vocab_bpe_file=os.path.join(data, 'gpt2-vocab.bpe'),
                                        encoder_json_file=os.path.join(data, 'gpt2-encoder.json'),
                                        vocab_bpe_hash='1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5',
                                        encoder_json_hash='196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783')
enc = tiktoken.Encoding(name='gpt2', explicit_n_vocab=50257, pat_str=r50k_pat_str,
                        mergeable_ranks=ranks, special_tokens={'<|endoftext|>': 50256})

# The ids everyone knows, as a check that this is GPT-2's tokenizer.
assert enc.encode('Hello world') == [15496, 995], enc.encode('Hello world')
assert enc.encode(' the') == [262]
assert enc.encode('<|endoftext|>', allowed_special='all') == [50256]

with open(os.path.join(data, 'tinyshakespeare.txt'), encoding='utf-8') as f:
    shakespeare = f.read()
ids = enc.encode_ordinary(shakespeare)
assert max(ids) < 65536
with open(os.path.join(here, 'ch8_gpt2_tinyshakespeare.u16'), 'wb') as f:
    f.write(b''.join(i.to_bytes(2, 'little') for i in ids))
print(f'tinyshakespeare: {len(shakespeare.encode())} bytes, {len(ids)} tokens', file=sys.stderr)

cases = [
    ('empty', ''),
    ('hello', 'Hello world'),
    ('contractions', "I'm you're they've we'll he'd it's can't don't"),
    ('contractions upper case', "IT'S I'M YOU'RE THEY'VE WE'LL HE'D"),
    ('contractions unicode apostrophe', 'it\u2019s don\u2019t you\u2019re'),
    ('apostrophes', "''s 'sup rock'n'roll 'twas '' 'LL x.'s !'d"),
    ('digits', '0 12 345 6789 12345678901234567890 3.14159 1,000,000 2024-01-01'),
    ('other numbers', '\u0663\u0664\u0665 \u00b2\u00b3 \u00bd \u216b \u2460'),
    ('two spaces', 'hello  world'),
    ('three spaces', 'hello   world'),
    ('trailing spaces', 'trailing spaces   '),
    ('leading spaces', '   leading'),
    ('newlines', '\n\n\n'),
    ('newlines between words', 'a\n\n\nb'),
    ('spaces and tab', '  \t '),
    ('spaces and tab before a word', '  \t x'),
    ('tabs', '\tindent\t\ttwo\ttabs'),
    ('crlf', 'line one\r\nline two\r\n'),
    ('space newline space', ' \n x \n y'),
    ('space before digits and punctuation', 'a  1  .  b'),
    ('long run of spaces', 'x' + ' ' * 3000 + 'y'),
    ('nbsp and ideographic space', 'a\u00a0\u00a0b\u3000c\u2003d'),
    ('unicode line breaks', 'a\u0085b\u2028c\u2029d'),
    ('control characters', 'a\x00b\x01c\x1cd\x1fe\x7ff'),
    ('accents composed', 'caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m stra\u00dfe'),
    ('accents decomposed', 'cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m'),
    ('vietnamese', 'Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u'),
    ('cjk', '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u4e2d\u6587\u5206\u8bcd \ud55c\uad6d\uc5b4'),
    ('emoji', '\U0001F44D ok \U0001F600\U0001F600'),
    ('emoji skin tone', '\U0001F44D\U0001F3FD \U0001F44B\U0001F3FF'),
    ('emoji zwj', '\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 \U0001F3F3\ufe0f\u200d\U0001F308'),
    ('emoji flags and variation', 'I \u2764\ufe0f NY \U0001F1EB\U0001F1F7'),
    ('mixed scripts', 'Hello \u043c\u0438\u0440 \u0393\u03b5\u03b9\u03ac \u05e2\u05d5\u05dc\u05dd \u0645\u0631\u062d\u0628\u0627 \u0928\u092e\u0938\u094d\u0924\u0947'),
    ('code', 'def f(x):\n    return x**2  # square\n\n\tprint(f(3))\n'),
    ('long word', 'supercalifragilisticexpialidocious ' + 'ab' * 200 + ' pneumonoultramicroscopicsilicovolcanoconiosis'),
    ('punctuation runs', '...!!! ??? --- ;-) (*_*) "quoted" \u00ab\u00bb \u2014 \u2026'),
    ('special token as text', 'Hello<|endoftext|>World'),
    ('partial special token', '<|endoftext| <|endoftext <|end'),
    ('shakespeare', shakespeare[:2000]),
]
special_cases = [
    ('special token allowed', 'Hello<|endoftext|>World'),
    ('special tokens allowed, adjacent', '<|endoftext|><|endoftext|> a<|endoftext|>'),
    ('special token allowed, at the end', 'The end.\n<|endoftext|>'),
]
# Seeded random strings over the character classes that matter.
rng = random.Random(8)
pools = [
    [chr(c) for c in range(0x20, 0x7f)] * 4, list(' \t\n\r\x0b\x0c\u00a0\u2000\u3000'), [chr(c) for c in range(0xc0, 0x250)],
    [chr(c) for c in range(0x370, 0x3ff)], [chr(c) for c in range(0x300, 0x36f)], [chr(c) for c in range(0x4e00, 0x4e80)],
    [chr(c) for c in range(0x1F300, 0x1F64F)], list('0123456789\u0660\u0661\u00b9\u00bc\u2155\u3007'), list("'sdtmlrve"),
]
for k in range(40):
    n = rng.randrange(1, 60)
    s = ''.join(rng.choice(rng.choice(pools)) for _ in range(n))
    cases.append((f'random {k}', s))

def entry(name, text, allowed):
    ids = enc.encode(text, allowed_special='all') if allowed else enc.encode_ordinary(text)
    assert enc.decode(ids) == text
    return {'name': name, 'text': text, 'utf8_hex': text.encode('utf-8').hex(), 'allowed_special': allowed, 'ids': ids}

encode = [entry(n, t, False) for n, t in cases] + [entry(n, t, True) for n, t in special_cases]

thumbs = enc.encode('\U0001F44D')
cafe = enc.encode('caf\u00e9')
decode_ids = [
    ('thumbs up, whole', thumbs),
    ('thumbs up, first token only', thumbs[:1]),
    ('thumbs up, last token only', thumbs[-1:]),
    ('byte 0xff', [enc.encode_single_token(b'\xff')]),
    ('lone continuation bytes', [enc.encode_single_token(b'\x80'), enc.encode_single_token(b'\xbf')]),
    ('truncated three-byte sequence', enc.encode('abc') + [enc.encode_single_token(b'\xe2'), enc.encode_single_token(b'\x82')]
     + enc.encode('def')),
    ('overlong encoding', [enc.encode_single_token(b'\xc0'), enc.encode_single_token(b'\xaf')]),
    ('surrogate half', [enc.encode_single_token(b'\xed'), enc.encode_single_token(b'\xa0'), enc.encode_single_token(b'\x80')]),
    ('cafe', cafe),
    ('end of text', [50256]),
    ('empty', []),
]
decode = [{'name': n, 'ids': i, 'bytes_hex': enc.decode_bytes(i).hex(), 'text': enc.decode(i)} for n, i in decode_ids]

# JSON lines, one case a line (a diff shows which case changed); not .json,
# which the fixture loader test reserves for PyTorch tensor fixtures.
with open(os.path.join(here, 'ch8_gpt2_cases.jsonl'), 'w', encoding='utf-8') as f:
    f.write(json.dumps({'kind': 'header', 'tiktoken': tiktoken.__version__}) + '\n')
    for x in encode:
        f.write(json.dumps(dict(kind='encode', **x), ensure_ascii=True) + '\n')
    for x in decode:
        f.write(json.dumps(dict(kind='decode', **x), ensure_ascii=True) + '\n')
print(f'{len(encode)} encode cases, {len(decode)} decode cases', file=sys.stderr)
