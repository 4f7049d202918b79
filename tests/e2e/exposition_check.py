#!/usr/bin/env python3
# exposition_check.py FILE [SERIES...]: checks a Prometheus text exposition (format 0.0.4) line by
# line, independently of kv's own checker (libkv/observability): every line a HELP, TYPE, comment
# or `name{labels} value`; every sample's family has a TYPE, and one only; no series twice;
# counters not below 0; histogram buckets with ascending le, cumulative, ending at +Inf equal to
# _count, with a _sum. Exits 1 naming the first bad line; else prints each SERIES's value (a whole
# `name{labels}` as the text writes it; 0 when absent), one a line. Used by metrics_scrape.sh.
import math, re, sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(?:%s)(?:,%s)*,?\})? (\S+)( -?[0-9]+)?$' % (NAME, LABEL, LABEL))
HELP = re.compile(r'^# HELP (%s) .*$' % NAME)
TYPE = re.compile(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME)

def fail(n, line, why):
    sys.exit('line %d (%r): %s' % (n, line[:120], why))

def number(text):
    if text in ('+Inf', '-Inf', 'NaN'):
        return float(text.replace('Inf', 'inf').replace('NaN', 'nan'))
    return float(text)

text = open(sys.argv[1]).read()
if not text.endswith('\n'):
    sys.exit('no final newline')
types, values, seen = {}, {}, set()
buckets = {}  # (family, labels without le) -> [(le, count)]
current = None
for n, line in enumerate(text[:-1].split('\n'), 1):
    if m := TYPE.match(line):
        if m.group(1) in types: fail(n, line, 'second TYPE')
        types[m.group(1)] = m.group(2); current = m.group(1); continue
    if HELP.match(line) or (line.startswith('#') and not line.startswith(('# HELP', '# TYPE'))):
        continue
    m = SAMPLE.match(line)
    if not m: fail(n, line, 'neither a comment, HELP, TYPE nor a sample')
    name, labels, value = m.group(1), m.group(2) or '', m.group(3)
    try: v = number(value)
    except ValueError: fail(n, line, 'value is not a number')
    family = name
    for suffix in ('_bucket', '_sum', '_count'):
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) == 'histogram':
            family = name[:-len(suffix)]
    if family != current or family not in types: fail(n, line, 'sample without its TYPE')
    if types[family] == 'histogram' and family == name: fail(n, line, 'plain histogram sample')
    if types[family] == 'counter' and not v >= 0: fail(n, line, 'counter below 0')
    if name + labels in seen: fail(n, line, 'series twice')
    seen.add(name + labels); values[name + labels] = value
    if name.endswith('_bucket') and family != name:
        le = re.search(r'(?:^\{|,)le="([^"]*)"', labels)
        if not le: fail(n, line, 'bucket without le')
        rest = re.sub(r'(\{|,)le="[^"]*"', r'\1', labels).replace('{,', '{').replace(',}', '}')
        buckets.setdefault((family, rest if rest != '{}' else ''), []).append((number(le.group(1)), v))
for (family, rest), series in buckets.items():
    les = [le for le, _ in series]; counts = [c for _, c in series]
    if les != sorted(set(les)): sys.exit('%s%s: le not ascending' % (family, rest))
    if counts != sorted(counts): sys.exit('%s%s: buckets not cumulative' % (family, rest))
    if not math.isinf(les[-1]): sys.exit('%s%s: no +Inf bucket' % (family, rest))
    if float(values.get(family + '_count' + rest, 'nan')) != counts[-1]:
        sys.exit('%s%s: +Inf bucket differs from _count' % (family, rest))
    if family + '_sum' + rest not in values: sys.exit('%s%s: no _sum' % (family, rest))
for series in sys.argv[2:]:
    print(values.get(series, '0'))
