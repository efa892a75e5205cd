#!/usr/bin/env python3
# tests/engine/sbom-check.py SBOM WORKDIR SRC BOOK VERSION capture|nocapture: the content of the
# SBOM of the sbom book (tests/books/sbom, its layer blfs) checked against what the test knows
# independently: the tarballs' sha256 (hashed here), the file lists and the root (read here), the
# book's graph. One line per check, "PASS what" or "FAIL what: why", for tests/engine/sbom.sh.
import hashlib
import json
import os
import re
import sys

sbom_path, work, src, book, version, mode = sys.argv[1:7]
doc = json.load(open(sbom_path))
capture = mode == 'capture'


def check(what, cond, why=''):
    print(('PASS ' if cond else 'FAIL ') + what + ('' if cond else ': ' + str(why)))


def sha(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def props(c):
    out = {}
    for p in c.get('properties', []):
        out.setdefault(p['name'], []).append(p['value'])
    return out


def prop(c, name):
    v = props(c).get(name)
    return v[0] if v else None


comps = {c['bom-ref']: c for c in doc['components']}
steps = ['ch1/base', 'ch1/multi', 'ch1/deb', 'ch1/conf', 'ch1/strip', 'ch2/kernel', 'blfs/tool']

check('bomFormat CycloneDX, specVersion 1.6, version 1',
      (doc['bomFormat'], doc['specVersion'], doc['version']) == ('CycloneDX', '1.6', 1), doc.get('specVersion'))
check('serialNumber is a urn:uuid of version 5',
      re.fullmatch(r'urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}', doc['serialNumber']),
      doc['serialNumber'])
tool = doc['metadata']['tools']['components'][0]
check('the tool is lfsbuild with the version of `lfsbuild --version`', (tool['name'], tool['version']) == ('lfsbuild', version),
      tool)
root = doc['metadata']['component']
check('the root component is the image (operating-system)', (root['bom-ref'], root['type']) == ('image', 'operating-system'),
      root)
check('the root component names the layer', props(root).get('lfsbuild:layer') == ['blfs'], props(root))
check('every step of the book and the layer is a component, in book order', list(comps) == steps, list(comps))

files = {'ch1/base': 'base-1.0.tar.gz', 'ch1/multi': 'multi-2.0.tar.gz', 'ch1/deb': 'debpkg_2.0.orig.tar.gz',
         'ch2/kernel': 'linux-6.0.tar.gz', 'blfs/tool': 'tool-3.1.tar.gz'}
for step, f in files.items():
    c = comps[step]
    got = [h['content'] for h in c.get('hashes', []) if h['alg'] == 'SHA-256']
    check(f'{step}: its source {f} with its sha256', got == [sha(os.path.join(src, f))], got)
    check(f'{step}: the file built', prop(c, 'lfsbuild:source-file') == f, prop(c, 'lfsbuild:source-file'))
base = comps['ch1/base']
want = f'pkg:generic/base@1.0?checksum=sha256:{sha(os.path.join(src, "base-1.0.tar.gz"))}' \
       '&download_url=http://127.0.0.1:9/base-1.0.tar.gz'
check('ch1/base: its purl', base.get('purl') == want, base.get('purl'))
refs = {r['type']: r for r in base['externalReferences']}
check('ch1/base: the upstream URL is its source-distribution, the file built',
      refs['source-distribution']['url'] == 'http://127.0.0.1:9/base-1.0.tar.gz' and
      'the file built here' in refs['source-distribution']['comment'], refs)
check("ch1/base: the book's page", refs.get('documentation', {}).get('url') ==
      'https://www.linuxfromscratch.org/lfs/view/12.3-systemd/chapter01/base.html', refs)
check('ch1/base: the licence of book/licenses', base.get('licenses') ==
      [{'expression': 'GPL-3.0-or-later', 'acknowledgement': 'declared'}], base.get('licenses'))
check('blfs/tool: the licence of the layer\'s licenses', comps['blfs/tool'].get('licenses', [{}])[0].get('expression') == 'MIT',
      comps['blfs/tool'].get('licenses'))
check('ch1/multi: no licence where none is known', 'licenses' not in comps['ch1/multi'], comps['ch1/multi'].get('licenses'))
check('blfs/tool: the layer named, no page of the book',
      prop(comps['blfs/tool'], 'lfsbuild:layer') == 'blfs' and
      not [r for r in comps['blfs/tool'].get('externalReferences', []) if r['type'] == 'documentation'], comps['blfs/tool'])

deb = comps['ch1/deb']
check('ch1/deb: the version built (Debian\'s) and the book\'s as a property',
      (deb['name'], deb['version'], prop(deb, 'lfsbuild:book-version'), prop(deb, 'lfsbuild:source-origin')) ==
      ('debpkg', '2.0', '2.0.1', 'debian'), (deb['version'], props(deb)))
dref = [r for r in deb['externalReferences']
        if r['url'] == 'https://deb.debian.org/debian/pool/main/d/debpkg/debpkg_2.0.orig.tar.gz']
check('ch1/deb: the Debian source package and its file, marked as built',
      dref and 'Debian source package debpkg 2.0-1' in dref[0]['comment'] and 'the file built here' in dref[0]['comment'],
      deb['externalReferences'])
up = [r for r in deb['externalReferences'] if r['url'] == 'http://127.0.0.1:9/debpkg-2.0.1.tar.gz']
check('ch1/deb: the upstream URL too, not marked as built', up and 'built' not in up[0]['comment'], up)

mpx = [c for c in comps['ch1/multi'].get('components', []) if c['name'] == 'mpx']
check('ch1/multi: its second source mpx inside it, with its sha256',
      mpx and mpx[0]['hashes'][0]['content'] == sha(os.path.join(src, 'mpx-0.5.tar.gz')), mpx)

kernel = comps['ch2/kernel']
check('ch2/kernel: the kernel (operating-system)', kernel['type'] == 'operating-system', kernel['type'])
check("ch2/kernel: the sha256 of its .config (as in the root)",
      prop(kernel, 'lfsbuild:kernel-config-sha256') == sha(os.path.join(work, 'root/boot/config-6.0')) and
      prop(kernel, 'lfsbuild:kernel-config-file') == '/boot/config-6.0', props(kernel))
check('ch2/kernel: the fragment with its sha256',
      prop(kernel, 'lfsbuild:book-file') == 'kernel/test.config ' + sha(os.path.join(book, 'files/kernel/test.config')),
      props(kernel))

deps = {d['ref']: d.get('dependsOn', []) for d in doc['dependencies']}
check('dependencies: the image depends on every step built', deps.get('image') == steps, deps.get('image'))
check('dependencies: an after line (ch1/multi after ch1/base)', deps.get('ch1/multi') == ['ch1/base'], deps)
check('dependencies: a stage barrier (ch2/kernel after the last steps of stage one)',
      deps.get('ch2/kernel') == ['ch1/multi', 'ch1/deb', 'ch1/strip'], deps.get('ch2/kernel'))


def file_comps(step):
    return {c['name']: c for c in comps[step].get('components', []) if c['type'] == 'file' and c['name'].startswith('/')}


def listed(step):
    out = {}
    for line in open(os.path.join(work, 'packages', step.replace('/', '_') + '.files')):
        f = line.rstrip('\n').split('\t')
        if len(f) == 9 and f[0] in ('new', 'changed') and f[1] == 'f':
            out['/' + f[8]] = f[6]
    return out


if capture:
    fb = file_comps('ch1/base')
    check('ch1/base: its files and links, without the one ch1/conf deleted', sorted(fb) ==
          ['/sde/ch1_base', '/usr/bin/base', '/usr/bin/base-link', '/usr/lib/strip-me', '/usr/share/base/hello.txt'],
          sorted(fb))
    n = 0
    for step in steps:
        if step == 'ch1/strip':
            continue
        lst = listed(step)
        for name, c in file_comps(step).items():
            if name in lst and 'lfsbuild:installed-sha256' not in props(c):
                n += 1
                check(f'{step}: {name} has the sha256 of its file list', c['hashes'][0]['content'] == lst[name],
                      (c['hashes'], lst[name]))
    check('every listed file unchanged since was compared (at least 10)', n >= 10, n)
    sm = fb['/usr/lib/strip-me']
    check('a file a step without capture changed: the root\'s sha256, the list\'s as installed-sha256',
          sm['hashes'][0]['content'] == hashlib.sha256(b'short\n').hexdigest() and
          prop(sm, 'lfsbuild:installed-sha256') == hashlib.sha256(b'a long unstripped library\n').hexdigest(), sm)
    check('ch1/base: one file gone, one changed', (prop(base, 'lfsbuild:files-gone'), prop(base, 'lfsbuild:files-changed')) ==
          ('1', '1'), props(base))
    check('a symlink with its target', prop(fb['/usr/bin/base-link'], 'lfsbuild:symlink') == 'base', fb['/usr/bin/base-link'])
    check('a mode', prop(fb['/usr/bin/base'], 'lfsbuild:mode') == '0755', fb['/usr/bin/base'])
    check('ch1/conf (no source): a component of type file, its files listed',
          comps['ch1/conf']['type'] == 'file' and '/etc/conf' in file_comps('ch1/conf'), comps['ch1/conf'])
    check('ch1/strip (capture no): its files are not known, said so', prop(comps['ch1/strip'], 'lfsbuild:files') ==
          'not known: it ran without capture (capture no in its recipe)', props(comps['ch1/strip']))
else:
    for step in steps:
        c = comps[step]
        fc = file_comps(step)
        extra = [n for n in fc if not (step == 'ch2/kernel' and n == '/boot/config-6.0')]
        check(f'{step}: files not known without capture, and said so', not extra and prop(c, 'lfsbuild:files') ==
              'not known: built without --capture on (no file list)', (extra, props(c)))
    fk = file_comps('ch2/kernel')
    check('ch2/kernel: its .config from the root, as a file with its sha256', fk.get('/boot/config-6.0', {}).get('hashes', [{}])[0]
          .get('content') == sha(os.path.join(work, 'root/boot/config-6.0')), fk)
