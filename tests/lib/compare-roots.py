#!/usr/bin/env python3
"""tests/lib/compare-roots.py ROOT1 ROOT2 [EXCLUDE-REGEX]: the same entries (type, mode, owner, group, size,
sha256, link target, device numbers, xattrs but trusted.overlay.*, hard-link groups) in two
trees? Times not compared. Prints the differences; exit 1 when there are some.
The same comparison as compare-roots.sh, fast enough for real roots (60 000 entries in seconds):
  python3 tests/lib/compare-roots.py lfs-work/root other-work/root "^\\./(build|trace)(/|$)" """
import hashlib, os, re, stat, sys

def listing(root, excl):
    out = {}
    inodes = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = './' + os.path.relpath(p, root)
            if excl and excl.search(rel):
                continue
            st = os.lstat(p)
            m = st.st_mode
            extra = '-'
            if stat.S_ISREG(m):
                h = hashlib.sha256()
                with open(p, 'rb', buffering=0) as f:
                    for chunk in iter(lambda: f.read(1 << 20), b''):
                        h.update(chunk)
                extra = h.hexdigest()
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(m):
                extra = '-> ' + os.readlink(p)
            elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
                extra = '%d:%d' % (os.major(st.st_rdev), os.minor(st.st_rdev))
            try:
                xs = sorted(x for x in os.listxattr(p, follow_symlinks=False) if not x.startswith('trusted.overlay.'))
                xa = ' '.join('%s=%s' % (x, os.getxattr(p, x, follow_symlinks=False).hex()) for x in xs)
            except OSError:
                xa = '?'
            out[rel] = '%o %d %d %d %s [%s]' % (m, st.st_uid, st.st_gid, st.st_size if not stat.S_ISDIR(m) else 0, extra, xa)
    groups = set(tuple(sorted(v)) for v in inodes.values() if len(v) > 1)
    return out, groups

excl = re.compile(sys.argv[3]) if len(sys.argv) > 3 else None
a, ga = listing(sys.argv[1], excl)
b, gb = listing(sys.argv[2], excl)
diff = 0
for k in sorted(set(a) | set(b)):
    if a.get(k) != b.get(k):
        diff += 1
        if diff <= 60:
            print('%s\n  1: %s\n  2: %s' % (k, a.get(k, 'missing'), b.get(k, 'missing')))
for g in sorted(ga ^ gb)[:20]:
    print('hard-link group only in %s: %s' % ('1' if g in ga else '2', ' '.join(g)))
    diff += 1
print('%s: %d entries in 1, %d in 2, %d differ, %d hard-link groups in 1, %d in 2' % ('same' if not diff else 'DIFFER', len(a), len(b), diff, len(ga), len(gb)))
sys.exit(1 if diff else 0)
